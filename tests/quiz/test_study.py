"""Grading, FSRS scheduling with a fixed clock, the SQLite store surviving a kill, mock exams and the Anki export."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.quiz.exam import domain_quota, pick_exam
from assistant.quiz.grading import grade, parse_choices
from assistant.quiz.items import ItemType
from assistant.quiz.store import Rating, StudyStore, due_summary, next_items, rating_for

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _first(items, kind):
    return next(i for i in items if i.type is kind)


def test_grading_follows_the_exam_rules(quiz_bank):
    _, items, _ = quiz_bank
    single, multiple = _first(items, ItemType.SINGLE), _first(items, ItemType.MULTIPLE)
    ordering, matching, cloze = (_first(items, t) for t in (ItemType.ORDERING, ItemType.MATCHING, ItemType.CLOZE))
    letters = "ABCDEFG"
    assert grade(single, letters[single.answer[0]]).correct
    assert not grade(single, letters[(single.answer[0] + 1) % 4]).correct
    assert grade(single, "").blank and not grade(single, "").correct  # blank = wrong
    keys = " ".join(letters[a] for a in multiple.answer)
    assert grade(multiple, keys).correct
    assert not grade(multiple, letters[multiple.answer[0]]).correct  # partial credit does not exist
    extra = next(i for i in range(len(multiple.options)) if i not in multiple.answer)
    assert not grade(multiple, keys + " " + letters[extra]).correct
    assert grade(ordering, " ".join(letters[a] for a in ordering.answer)).correct
    assert not grade(ordering, " ".join(letters[a] for a in reversed(ordering.answer))).correct
    assert grade(matching, list(matching.answer)).correct
    assert grade(cloze, f" {cloze.answer_text[0]} ").correct
    assert not grade(cloze, "ちがう").correct
    assert parse_choices("b, 3", 4) == (1, 2) and parse_choices("Z", 4) is None


def test_ratings_follow_correctness_and_speed():
    assert rating_for(False, 1.0, "single") is Rating.Again
    assert rating_for(False, 1.0, "single", easy=True) is Rating.Again
    assert rating_for(True, 5.0, "single") is Rating.Good
    assert rating_for(True, 300.0, "single") is Rating.Hard
    assert rating_for(True, 5.0, "single", easy=True) is Rating.Easy


def test_fsrs_due_dates_with_a_fixed_clock(tmp_path):
    with StudyStore(tmp_path / "s.sqlite3") as store:
        again = store.review("a", "single", correct=False, seconds=3, now=T0)
        good = store.review("g", "single", correct=True, seconds=3, now=T0)
        easy = store.review("e", "single", correct=True, seconds=3, easy=True, now=T0)
        assert again.rating is Rating.Again and again.due == T0 + timedelta(minutes=1)
        assert good.rating is Rating.Good and good.due == T0 + timedelta(minutes=10)
        assert easy.rating is Rating.Easy and easy.due - T0 >= timedelta(days=1)
        # A second Good graduates the card to days, not minutes.
        later = store.review("g", "single", correct=True, seconds=3, now=good.due)
        assert later.due - good.due >= timedelta(days=1)
        assert store.due_ids(now=T0 + timedelta(minutes=30), until_end_of_day=False) == ["a"]
        assert set(store.due_ids(now=T0 + timedelta(days=400))) == {"a", "g", "e"}
        assert store.review_count() == 4 and store.consistent()


def test_due_items_come_before_new_ones(quiz_bank, tmp_path):
    _, items, _ = quiz_bank
    with StudyStore(tmp_path / "s.sqlite3") as store:
        store.review(items[3].id, items[3].type.value, correct=False, now=T0)
        store.review(items[4].id, items[4].type.value, correct=True, easy=True, now=T0)
        queue = next_items(store, items, 3, now=T0 + timedelta(minutes=5))
        assert queue[0].id == items[3].id and items[4].id not in [i.id for i in queue]
        due, new = due_summary(store, items, now=T0 + timedelta(minutes=5))
        assert due >= 1 and new == len(items) - 2


_WRITER = """
import sys, time
from assistant.quiz.store import StudyStore
store = StudyStore(sys.argv[1])
n = 0
while True:
    store.review(f"item-{n % 7}", "single", correct=n % 3 != 0, seconds=1.0)
    n += 1
    if n == 20:
        print("ready", flush=True)
"""


def test_the_store_survives_a_kill_mid_review(tmp_path):
    path = tmp_path / "study.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with StudyStore(path) as store:
        assert store.review_count() >= 20
        assert store.consistent()
        before = store.review_count()
        store.review("item-0", "single", correct=True, seconds=1.0)
        assert store.review_count() == before + 1 and store.consistent()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_mock_exam_follows_the_domain_mix(quiz_bank):
    _, items, _ = quiz_bank
    assert domain_quota(65) == {"data_preparation": 18, "model_development": 17, "deployment_orchestration": 14,
                                "monitoring_security": 16}
    assert sum(domain_quota(20).values()) == 20
    exam = pick_exam(items, 10, seed=1)
    assert len(exam) == 10 and len({i.id for i in exam}) == 10
    assert all(i.type is not ItemType.CLOZE for i in exam)
    assert [i.id for i in pick_exam(items, 10, seed=1)] == [i.id for i in exam]


def test_exam_session_scores_a_raw_percentage_and_times_out(quiz_bank):
    from assistant.quiz.practice import exam_session

    _, items, _ = quiz_bank
    exam = pick_exam(items, 4, seed=2)
    letters = "ABCDEFG"
    answers = iter([" ".join(letters[a] for a in exam[0].answer), "", "", ""])
    ticks = iter([0, 0, 1, 1, 2, 2, 3, 3, 1000, 1000, 1000, 1000])
    result = exam_session(exam, read=lambda _: next(answers), write=lambda _: None, clock=lambda: next(ticks),
                          limit_seconds=500)
    assert sum(result.total.values()) == 4 and sum(result.right.values()) == 1
    assert result.percent == 25.0
    text = "\n".join(result.lines())
    assert "raw" in text and "scaled score" in text  # says that it is NOT the scaled score


def test_practice_session_records_each_answer(quiz_bank, tmp_path):
    from assistant.quiz.practice import practice_session

    _, items, _ = quiz_bank
    queue = [_first(items, ItemType.SINGLE), _first(items, ItemType.CLOZE)]
    answers = iter(["ABCD"[queue[0].answer[0]] + "!", "wrong", "q"])
    out: list[str] = []
    with StudyStore(tmp_path / "s.sqlite3") as store:
        right, asked = practice_session(queue, store, read=lambda _: next(answers), write=out.append, now=lambda: T0)
        assert (right, asked) == (1, 2)
        assert store.card(queue[0].id) is not None and store.review_count() == 2
    text = "\n".join(out)
    assert "Easy" in text and "Again" in text and queue[1].evidence in text


def test_anki_export_opens_and_counts(quiz_bank, tmp_path):
    from assistant.quiz.anki import export_anki

    _, items, _ = quiz_bank
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    assert export_anki(items, first) == len(items)
    export_anki(items, second)

    def notes(path):
        with zipfile.ZipFile(path) as z:
            z.extract("collection.anki2", tmp_path / path.stem)
        db = sqlite3.connect(tmp_path / path.stem / "collection.anki2")
        return db.execute("SELECT guid, flds, tags FROM notes ORDER BY guid").fetchall()

    a, b = notes(first), notes(second)
    assert len(a) == len(items)
    assert [r[0] for r in a] == [r[0] for r in b]  # stable GUIDs: a re-import updates the same notes
    cloze = [r for r in a if "{{c1::" in r[1]]
    assert len(cloze) == sum(1 for i in items if i.type is ItemType.CLOZE)
    assert all("type::" in r[2] and "heading::" in r[2] for r in a)
    assert not any("<script" in r[1] for r in a)


def test_anki_fields_are_escaped(quiz_bank):
    from dataclasses import replace

    from assistant.quiz.anki import note_for

    _, items, _ = quiz_bank
    item = replace(_first(items, ItemType.SINGLE), stem="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in note_for(item).fields[0]


def test_round_trip_questions_and_key_matching(quiz_bank):
    from assistant.quiz.roundtrip import key_found, question_for, round_trip

    _, items, _ = quiz_bank
    cloze = _first(items, ItemType.CLOZE)
    assert "____" not in question_for(cloze) and question_for(cloze).endswith("？")
    assert key_found("Pruning(枝刈り)", "Pruning") == (False, True)
    assert key_found("すべての重みを小さくする。", "すべての重みを小さくする") == (True, True)
    assert key_found("エポック", "エポックです") == (True, True)
    assert key_found("モデルのサイズと複雑さを軽減する。", "軽減") == (False, False)

    class Echo:  # answers with the evidence of the item it is asked about
        def answer(self, question):
            from types import SimpleNamespace
            item = next(i for i in items if question == question_for(i))
            return SimpleNamespace(text=item.answer_text[0])

    report = round_trip(items, Echo())
    assert report.rate == 1.0 and len(report.results) == sum(i.type in (ItemType.SINGLE, ItemType.CLOZE) for i in items)
