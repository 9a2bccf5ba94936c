"""Batch answering: input formats, malformed lines, appending as answers finish, resume."""

import json

import pytest

from assistant.batch import answered_ids, read_questions, run_batch
from assistant.answer.pipeline import Pipeline
from corpus.errors import InputError
from tests.conftest import EchoGenerator


@pytest.fixture
def pipeline(fake_index):
    return Pipeline(fake_index, EchoGenerator(), abstain_below=0.0)


def test_reads_jsonl_and_reports_malformed_lines(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "エポックとは？", "answer": "x"}\n'
        "not json\n"
        '{"id": "b"}\n'
        '{"id": "a", "question": "dup"}\n'
        "\n"
        '{"id": 3, "question": "数字のid"}\n',
        encoding="utf-8",
    )
    batch = read_questions(path)
    assert [(q.id, q.question) for q in batch.questions] == [("a", "エポックとは？"), ("3", "数字のid")]
    assert [p.split(":")[0] for p in batch.problems] == ["line 2", "line 3", "line 4"]
    assert "duplicate id 'a'" in batch.problems[2]


def test_reads_plain_text_one_question_per_line(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("エポックとは？\n\n合格ラインは？\n", encoding="utf-8")
    assert [(q.id, q.question) for q in read_questions(path).questions] == [("line-1", "エポックとは？"), ("line-3", "合格ラインは？")]


def test_writes_one_line_per_answer(tmp_path, pipeline):
    (tmp_path / "q.txt").write_text("エポック\n正則化\n", encoding="utf-8")
    assert run_batch(tmp_path / "q.txt", tmp_path / "out.jsonl", pipeline, progress=False) == 2
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["line-1", "line-2"]
    assert all(line["sources"] and "timings" in line for line in lines)


def test_refuses_to_overwrite_without_resume(tmp_path, pipeline):
    (tmp_path / "q.txt").write_text("エポック\n", encoding="utf-8")
    (tmp_path / "out.jsonl").write_text('{"id": "old"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="--resume"):
        run_batch(tmp_path / "q.txt", tmp_path / "out.jsonl", pipeline, progress=False)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == '{"id": "old"}\n'


def test_resume_skips_done_ids_and_repairs_a_torn_line(tmp_path, pipeline):
    (tmp_path / "q.txt").write_text("エポック\n正則化\n試験時間\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "line-1", "answer": "done"}\n{"id": "line-2", "ans', encoding="utf-8")
    assert answered_ids(out) == {"line-1"}
    assert run_batch(tmp_path / "q.txt", out, pipeline, resume=True, progress=False) == 2
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["line-1", "line-2", "line-3"]


def test_input_without_questions_is_refused(tmp_path, pipeline):
    (tmp_path / "q.jsonl").write_text("{bad\n", encoding="utf-8")
    with pytest.raises(InputError, match="no usable questions"):
        run_batch(tmp_path / "q.jsonl", tmp_path / "o.jsonl", pipeline, progress=False)


def test_missing_input_file(tmp_path):
    with pytest.raises(InputError, match="input file .* does not exist"):
        read_questions(tmp_path / "nope.jsonl")


def test_history_is_read_and_used_and_a_malformed_one_names_its_line(tmp_path, pipeline, capsys):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "f1", "question": "多すぎるとどうなる？", "history": [{"question": "エポックとは何ですか？", "answer": "回数"}]}\n'
        '{"id": "f2", "question": "多すぎるとどうなる？", "history": "エポック"}\n'
        '{"id": "f3", "question": "多すぎるとどうなる？", "history": [{"answer": "x"}]}\n'
        '{"id": "f4", "question": "多すぎるとどうなる？"}\n',
        encoding="utf-8",
    )
    batch = read_questions(path)
    assert [q.id for q in batch.questions] == ["f1", "f4"]
    assert [q.question for q in batch.questions[0].history] == ["エポックとは何ですか？"]
    assert batch.questions[1].history == ()
    assert batch.problems == ('line 2: "history" must be a list of turns like {"question": "…", "answer": "…"}, got str',
                              'line 3: "history": turn 1 needs a non-empty "question" string')
    assert run_batch(path, tmp_path / "out.jsonl", pipeline, progress=False) == 2
    assert "line 2" in capsys.readouterr().err
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    assert records["f1"]["resolved_question"] == "エポックが多すぎるとどうなる？"
    assert records["f4"]["resolved_question"] == "多すぎるとどうなる？"
