"""`ask --history FILE`: the file's turns reach the pipeline; a bad file is one clear line and exit 2."""

import json
import re

import pytest

import assistant.cli as cli
from assistant.answer.followup import Turn


@pytest.mark.parametrize("content, message", [
    (None, "history file .* does not exist"),
    ("{not json", "is not valid JSON"),
    ('{"question": "x"}', "must be a list of turns"),
    ('[{"question": ""}]', "turn 1 needs a non-empty"),
])
def test_a_bad_history_file_exits_2_before_the_model_loads(tmp_path, monkeypatch, capsys, content, message):
    path = tmp_path / "history.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setattr(cli, "pipeline_from_args", lambda args: pytest.fail("loaded the pipeline"))
    assert cli.main(["ask", "多すぎるとどうなる？", "--history", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_the_history_reaches_the_pipeline(tmp_path, monkeypatch, capsys):
    path = tmp_path / "history.json"
    path.write_text(json.dumps([{"question": "エポックとは何ですか？", "answer": "回数"}], ensure_ascii=False), encoding="utf-8")
    seen = {}

    class Stream:
        def __init__(self, question, history):
            seen.update(question=question, history=history)
            self.answer = type("A", (), {"question": question, "resolved_question": "エポックが" + question,
                                         "hits": (), "as_record": lambda self: {}})()

        def __iter__(self):
            yield "過学習"

    class Pipeline:
        def stream(self, question, history=()):
            return Stream(question, history)

    monkeypatch.setattr(cli, "pipeline_from_args", lambda args: Pipeline())
    assert cli.main(["ask", "多すぎるとどうなる？", "--history", str(path)]) == 0
    assert seen == {"question": "多すぎるとどうなる？", "history": (Turn("エポックとは何ですか？", "回数"),)}
    captured = capsys.readouterr()
    assert captured.out.strip() == "過学習"
    assert "understood as: エポックが多すぎるとどうなる？" in captured.err
