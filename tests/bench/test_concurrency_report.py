"""The concurrency bench section: written into an existing report without touching the other sections."""

from __future__ import annotations

import json

from assistant.bench import concurrency
from assistant.bench.concurrency import SECTION_TITLE, splice_section, write_section


def level(users: int, slots: int, p95: float, errors: int = 0) -> dict:
    return {"users": users, "seconds": 60.0, "answers": 40 * users, "answers_per_s": 0.6 * users, "errors": errors,
            "error_examples": [], "p50_s": p95 / 2, "p95_s": p95, "max_s": p95 + 1, "first_piece_p50_s": 0.4,
            "overlap": float(min(users, slots)), "wall_s": 61.0, "rss_mb_start": 800.0, "rss_mb_end": 805.0,
            "load_average": [1.0, 1.2], "foreign_cores": {"mean_cores": 0.1, "p90_cores": 0.2}}


def section(p95_at_8: float = 4.0, rss_end: float = 820.0) -> dict:
    result = {
        "slots": 4, "baseline_slots": 1, "client": "gradio_client", "questions": 16,
        "configs": {"slots_4": {"slots": 4, "rss_mb_ready": 800.0, "rss_mb_end": rss_end,
                                "levels": [level(1, 4, 1.0), level(8, 4, p95_at_8)]},
                    "slots_1": {"slots": 1, "rss_mb_ready": 700.0, "rss_mb_end": 705.0,
                                "levels": [level(1, 1, 1.0), level(8, 1, 9.0)]}},
        "same_answers": {"questions_answered": 16, "questions_with_differing_text": 0, "examples": []},
    }
    result["target"] = concurrency._target(result)
    return result


def test_the_target_needs_p95_errors_and_flat_memory():
    assert section()["target"]["met"] is True
    assert section(p95_at_8=5.5)["target"]["met"] is False
    assert section(rss_end=1000.0)["target"]["met"] is False  # +25 % is not flat
    failing = section()
    failing["configs"]["slots_4"]["levels"][1]["errors"] = 1
    assert concurrency._target(failing)["met"] is False


def test_the_table_has_a_row_per_users_and_slots():
    text = "\n".join(concurrency.markdown(section()))
    assert text.startswith(SECTION_TITLE)
    rows = [line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| 8 |")]
    assert len(rows) == 4
    assert "16 of 16 questions" in text and ": met." in text


def test_splice_replaces_only_its_own_section():
    report = "# Benchmarks\n\n## Generation\n\nfast\n\n" + SECTION_TITLE + "\n\nold\n\n## Plots\n\n![p](p.png)\n"
    spliced = splice_section(report, SECTION_TITLE + "\n\nnew\n")
    assert "old" not in spliced and "new" in spliced
    assert spliced.startswith("# Benchmarks\n\n## Generation\n\nfast\n") and spliced.endswith("## Plots\n\n![p](p.png)\n")
    # Without the section: before the plots; without plots: at the end.
    inserted = splice_section("# B\n\n## A\n\nx\n\n## Plots\n\ny\n", SECTION_TITLE + "\n\nnew\n")
    assert inserted.index("new") < inserted.index("## Plots") and "## A\n\nx\n" in inserted
    assert splice_section("# B\n\n## A\n\nx\n", SECTION_TITLE + "\n\nnew\n").endswith(SECTION_TITLE + "\n\nnew\n")


def test_write_section_keeps_the_other_figures(tmp_path):
    (tmp_path / "benchmarks.json").write_text(json.dumps({"generation": {"ours": {"decode_tokens_per_s": 22.0}}}))
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\n## Generation\n\nours 22.0\n")
    write_section(section(), tmp_path)
    write_section(section(p95_at_8=6.0), tmp_path)  # a second run replaces the first
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert data["generation"] == {"ours": {"decode_tokens_per_s": 22.0}}
    assert data["concurrency"]["target"]["p95_s"] == 6.0
    md = (tmp_path / "benchmarks.md").read_text()
    assert "ours 22.0" in md and md.count(SECTION_TITLE) == 1 and "MISSED" in md


def test_the_questions_are_spread_over_the_dev_sets_not_the_first_ones():
    from assistant.paths import REPO_ROOT

    asked = concurrency.questions()
    dev = [json.loads(line) for name in concurrency.QUESTION_SETS
           for line in (REPO_ROOT / "eval" / "gold" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    answerable = [item["question"] for item in dev if item.get("answerable", True)]
    assert len(asked) == concurrency.QUESTION_COUNT == len(set(asked)) and set(asked) <= set(answerable)
    assert asked[0] == answerable[0] and asked != tuple(answerable[: len(asked)])
    assert any(q.isascii() for q in asked), "the English dev questions are in the mix"
    assert concurrency.questions(3) == concurrency.questions(3)  # a fixed order
