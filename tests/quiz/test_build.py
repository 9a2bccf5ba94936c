"""Item bank building: every type from a small fixture, the DESIGN schema, determinism, and the gates."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from corpus.text import evidence_form
from assistant.quiz.build import build_bank
from assistant.quiz.gates import NotesText, first_failure
from assistant.quiz.items import BLANK, ItemType, read_bank


def test_every_type_is_built_from_the_fixture(quiz_bank):
    _, items, summary = quiz_bank
    counts = {t: sum(1 for i in items if i.type is t) for t in ItemType}
    assert all(n >= 1 for n in counts.values()), counts
    assert summary.total == len(items)


def test_records_follow_the_bank_schema(quiz_bank, quiz_notes):
    path, items, _ = quiz_bank
    notes = evidence_form((quiz_notes / "notes.md").read_text(encoding="utf-8"))
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert set(record) <= {"id", "type", "stem", "options", "prompts", "answer", "answer_text", "source", "evidence", "domain"}
        assert set(record["source"]) == {"chunk_id", "source", "heading_path"}
        kind = record["type"]
        if kind == "cloze":
            assert record["stem"].count(BLANK) == 1
        else:
            assert record["answer_text"] == [record["options"][i] for i in record["answer"]]
        if kind == "matching":
            assert len(record["prompts"]) == len(record["answer"])
            assert all(evidence_form(p) in evidence_form(record["evidence"]) for p in record["prompts"])
        if kind == "multiple":
            assert record["answer"] == sorted(record["answer"]) and len(record["answer"]) >= 2 and len(record["options"]) >= 5
        if kind == "single":
            assert len(record["options"]) == 4 and len(record["answer"]) == 1
        if kind == "ordering":
            assert 3 <= len(record["options"]) <= 5 and sorted(record["answer"]) == list(range(len(record["options"])))
        assert all(evidence_form(t) in evidence_form(record["evidence"]) for t in record["answer_text"])
        assert evidence_form(record["evidence"]) in notes


def test_the_same_seed_gives_a_byte_identical_file(quiz_index, tmp_path):
    build_bank(quiz_index, tmp_path / "a.jsonl", seed=11)
    build_bank(quiz_index, tmp_path / "b.jsonl", seed=11)
    build_bank(quiz_index, tmp_path / "c.jsonl", seed=12)
    a = (tmp_path / "a.jsonl").read_bytes()
    assert a == (tmp_path / "b.jsonl").read_bytes()
    assert a != (tmp_path / "c.jsonl").read_bytes()
    ids = [json.loads(line)["id"] for line in a.decode().splitlines()]
    assert len(ids) == len(set(ids))


def test_no_built_item_fails_a_gate_when_checked_again(quiz_bank, quiz_notes):
    _, items, _ = quiz_bank
    notes = NotesText([(quiz_notes / "notes.md").read_text(encoding="utf-8")], [])
    seen: set[str] = set()
    assert [first_failure(i, notes, seen) for i in items] == [None] * len(items)


@pytest.fixture
def gate_notes(quiz_notes):
    from corpus.chunking import units

    text = (quiz_notes / "notes.md").read_text(encoding="utf-8")
    return NotesText([text], units(text))


def _single(items):
    return next(i for i in items if i.type is ItemType.SINGLE and "次の説明" in i.stem and "手法" in i.stem)


@pytest.mark.parametrize("change, gate", [
    (lambda i: replace(i, evidence="まったく関係のない文。"), "key_in_evidence"),
    (lambda i: replace(i, evidence=i.evidence + " 捏造"), "evidence_in_notes"),
    (lambda i: replace(i, stem=i.stem + i.answer_text[0]), "key_in_stem"),
    (lambda i: replace(i, options=(i.answer_text[0],) * 2 + tuple(o for o in i.options if o != i.answer_text[0])[:2],
                       answer=(0,)), "repeated_option"),
    (lambda i: replace(i, options=tuple("上記のすべて" if n not in i.answer else o for n, o in enumerate(i.options[:1])) + i.options[1:])
     if 0 not in i.answer else replace(i, options=(i.options[0], "上記のすべて", *i.options[2:])), "all_of_the_above"),
    (lambda i: replace(i, options=tuple(o if n in i.answer else o * 12 for n, o in enumerate(i.options))), "option_lengths"),
    (lambda i: replace(i, options=(i.options[0], i.options[1], i.options[2])), "shape"),
])
def test_gates_reject_bad_items(quiz_bank, gate_notes, change, gate):
    _, items, _ = quiz_bank
    bad = change(_single(items))
    assert first_failure(bad, gate_notes, set()) == gate


def test_duplicate_stems_are_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    item = _single(items)
    seen: set[str] = set()
    assert first_failure(item, gate_notes, seen) is None
    assert first_failure(item, gate_notes, seen) == "duplicate_stem"


def test_a_distractor_the_notes_state_as_right_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    multiple = next(i for i in items if i.type is ItemType.MULTIPLE and "格納先" in i.stem)
    # S3, EFS and FSx are all storage targets: offering the unchosen sibling as a distractor would make it right too.
    keys = list(multiple.answer_text)[:2]
    sibling = next(s for s in ("S3", "EFS", "FSx") if s not in keys)
    options = (*keys, sibling, "EC2", "RDS")
    bad = replace(multiple, options=options, answer=(0, 1), answer_text=tuple(keys), siblings=(options[2],))
    assert first_failure(bad, gate_notes, set()) == "distractor_stated_right"


def test_an_ambiguous_blank_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    cloze = next(i for i in items if i.type is ItemType.CLOZE)
    good = replace(cloze, stem="空欄に入る語句を答えよ。\n特徴量の作成、保存、____を行うことができる機能。", answer_text=("共有",),
                   evidence="特徴量の作成、保存、共有を行うことができる機能。")
    assert first_failure(good, gate_notes, set()) is None
    # The notes fill 「SageMaker AIには____統合機能がある。」 with MLflow and with TensorBoard.
    ambiguous = replace(cloze, stem="空欄に入る語句を答えよ。\nSageMaker AIには____統合機能がある。", answer_text=("MLflow",),
                        evidence="SageMaker AIにはMLflow統合機能がある。")
    assert first_failure(ambiguous, gate_notes, set()) == "blank_ambiguous"


def test_read_bank_names_a_bad_line(tmp_path):
    from corpus.errors import InputError

    path = tmp_path / "bank.jsonl"
    path.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_bank(path)
