"""`bench` rewrites docs/benchmarks.md but keeps the sections measured by hand."""

from __future__ import annotations

from assistant.bench import _kept_sections


def test_a_hand_measured_section_is_kept_and_others_are_not(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Targets\n\nold\n\n## Indexing by notes format\n\n| a |\n|---|\n| 1 |\n\n## Plots\n\nx\n",
                    encoding="utf-8")
    assert _kept_sections(path) == "\n## Indexing by notes format\n\n| a |\n|---|\n| 1 |\n"
    assert _kept_sections(tmp_path / "missing.md") == ""


def test_the_scale_comparison_is_kept_after_the_formats_section(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## A real folder at scale (Debian man pages; `assistant/bench/scale.py`)\n\nrun\n\n"
                    "## Indexing by notes format\n\nf\n\n## A real folder at scale: before and after (issue 17)\n\n"
                    "**10k chunks.** x\n", encoding="utf-8")
    kept = _kept_sections(path)
    assert kept == "\n## Indexing by notes format\n\nf\n\n## A real folder at scale: before and after (issue 17)\n\n**10k chunks.** x\n"


def test_the_several_users_breakdown_is_kept_while_the_concurrency_run_is_rewritten(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Concurrency (several UI users at once)\n\nrun\n\n"
                    "## Several users: where a warm answer's time goes (issue 17)\n\nby hand\n\n## Plots\n\nx\n",
                    encoding="utf-8")
    assert _kept_sections(path) == "\n## Several users: where a warm answer's time goes (issue 17)\n\nby hand\n"
