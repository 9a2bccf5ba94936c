"""English question analysis: the asked type, the unit (with its Japanese counters), and the notes' words."""

from __future__ import annotations

import pytest

from corpus.text import index_terms
from corpus.units import unit_forms
from index.crosslingual import CrossLingualExpander

from assistant.answer.english import asked_type, asked_unit, counted_noun
from assistant.answer.question import Question
from assistant.answer.spans import answer_candidates
from assistant.answer.words import counted_numbers, has_counted_number


@pytest.mark.parametrize("question, asked", [
    ("How many minutes is the exam?", "count"),
    ("How long is the exam?", "duration"),
    ("How much does the exam cost?", "money"),
    ("What is the exam fee?", "money"),
    ("How much memory does it use?", "amount"),
    ("What is the passing score?", "amount"),
    ("What percentage of the exam is data preparation?", "percent"),
    ("When was the exam taken?", "date"),
    ("Which Redshift command updates a materialized view?", "name"),
    ("What is an epoch?", "definition"),
    ("Why does overfitting happen?", "reason"),
    ("How do I enable pipe mode?", "way"),
    ("Is RMSE a metric for regression models?", "yesno"),
])
def test_asked_type(question, asked):
    assert asked_type(question) == asked


@pytest.mark.parametrize("question, unit, counter", [
    ("How many minutes is the exam?", "minute", "分"),
    ("How long is the MLA-C01 exam in minutes?", "minute", "分"),
    ("How many questions are on the exam?", "question", "問"),
    ("For how many years is the certification valid?", "year", "年"),
    ("How much does the exam cost?", "money", "円"),
    ("How much does it cost in dollars?", "dollar", "USD"),
    ("What is the passing score?", "score", "点"),
    ("How long did the author study?", "duration", "時間"),
])
def test_the_unit_and_its_japanese_counter(question, unit, counter):
    analysed = Question.analyse(question)
    assert analysed.counter == unit and analysed.wants_number
    assert counter in unit_forms(unit)


def test_a_noun_the_table_does_not_know_is_counted_as_written():
    assert counted_noun("How many different real-time signals does the kernel support?") == "signals"
    assert counted_noun("How many bytes long can a character be?") == "bytes"
    assert asked_unit("How many domains could the search list contain?", "count") == "domain"


@pytest.mark.parametrize("counter, sentence, amounts", [
    ("minute", "| 試験時間 | 90分 |", ["90分"]),
    ("score", "| 合格ライン | 100~1000点中720点 |", ["720点"]),
    ("money", "| 受験料 | ¥20,000 (税別) |", ["¥20,000"]),
    ("byte", "UTF-8 characters may be up to four bytes long.", ["four bytes"]),
    ("signal", "Linux supports 33 different real-time signals.", ["33"]),
])
def test_counted_amounts_in_either_language(counter, sentence, amounts):
    assert counted_numbers(frozenset(), sentence, counter) == amounts
    assert has_counted_number(sentence, counter)


def test_the_notes_words_for_an_english_question_count_as_its_own():
    notes = ["| 合格ライン | 100~1000点中720点 |", "オーバーサンプリングにはランダムなオーバーサンプリングとSMOTEがある。"]
    expander = CrossLingualExpander({t for text in notes for t in index_terms(text)})
    passing = Question.analyse("What is the passing score?", expander)
    assert passing.asked == "amount" and "合格" in passing.translations and "点" not in passing.translations
    assert answer_candidates(passing, notes[0])[0] == "720点"
    question = Question.analyse("Besides random oversampling, which oversampling technique is there?", expander)
    assert answer_candidates(question, notes[1])[0].startswith("SMOTE")  # not 「ランダムなオーバーサンプリング」


def test_japanese_questions_have_no_english_analysis():
    question = Question.analyse("合格ラインは何点？")
    assert question.asked is None and question.translations == () and question.counter == "点"
