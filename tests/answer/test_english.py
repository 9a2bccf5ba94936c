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
    ("If a process writes two messages into a pipe, does the pipe keep the boundary?", "yesno"),  # after a leading clause
    ("When tar is given a label, which exit code does it return?", "name"),
    # two leading clauses, and a main clause that opens on neither a question word nor an auxiliary: as it was
    ("According to hier(7), when a user is created, files from which directory are copied?", "other"),
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


def test_the_noun_an_english_question_asks_the_value_of_is_read_as_a_bare_question_s():
    sentence = "同一AZにファイルを格納できるため、可用性は99.5%に落ちるがデータアクセス速度は10倍になる。"
    expander = CrossLingualExpander(set(index_terms(sentence)))
    question = Question.analyse("What availability does S3 Express One Zone drop to?", expander)
    assert "可用性" in question.asked_noun
    assert answer_candidates(question, sentence)[0] == "99.5%"  # the value the sentence gives 可用性
    assert Question.analyse("What does S3 Express One Zone drop to?", expander).asked_noun == ()


def test_japanese_questions_have_no_english_analysis():
    question = Question.analyse("合格ラインは何点？")
    assert question.asked is None and question.translations is None and question.counter == "点"


@pytest.mark.parametrize("question, asked, unit", [
    ("What is the maximum processing time of real-time inference?", "duration", "duration"),
    ("What is the time limit of the exam?", "duration", "duration"),
    ("What is the maximum memory size?", "amount", "size"),  # an amount of data: bytes and their multiples
    ("Before Linux 2.6.11, how large was the capacity of a pipe?", "amount", "size"),
    ("What is the maximum number of retries?", "amount", None),
])
def test_what_is_the_time_or_the_maximum(question, asked, unit):
    assert asked_type(question) == asked and asked_unit(question, asked) == unit


def test_an_amount_of_data_is_counted_in_bytes_their_multiples_or_pages():
    assert counted_numbers(frozenset(), "up to 1GB of payload, 64 KiB per write, 4096 bytes on i386", "size") == ["1GB", "64 KiB", "4096 bytes"]
    assert has_counted_number("the capacity is 16 pages", "size") and not has_counted_number("最大60分の処理", "size")


def test_a_when_clause_does_not_make_a_which_question_ask_for_a_number():
    question = Question.analyse("Which inference option is recommended when requests need to be queued?")
    assert question.asked == "name" and not question.wants_number


def test_amounts_keep_their_japanese_qualifiers_for_english_units():
    assert counted_numbers(frozenset(), "開発/運用の業務を7年程度、現在も継続中。", "year") == ["7年程度"]
    assert counted_numbers(frozenset(), "MLSは2年前なので", "year") == ["2年前"]


def test_english_question_on_a_topic_the_notes_never_mention_abstains():
    from corpus.chunking import Chunk
    from assistant.answer.abstention import unknown_english_topic
    from assistant.answer.words import NotesVocabulary

    notes = [Chunk("c1", "n.md", "試験", "| 合格ライン | 720点 |"), Chunk("c2", "n.md", "SageMaker", "SageMakerの学習")]
    vocabulary = NotesVocabulary.build(notes)
    expander = CrossLingualExpander({t for c in notes for t in index_terms(c.text)})
    assert unknown_english_topic(Question.analyse("What is the capital of France?", expander), vocabulary) == "capital, france"
    assert unknown_english_topic(Question.analyse("What is the passing score?", expander), vocabulary) is None
    assert unknown_english_topic(Question.analyse("What does SageMaker train?", expander), vocabulary) is None
    # Without an index the translations were never looked up: no verdict.
    assert unknown_english_topic(Question.analyse("What is the capital of France?"), vocabulary) is None


def test_an_asked_amount_is_answered_whole_where_the_model_stops_inside_it():
    from assistant.answer.plan import SpanFinisher

    for raw in ("165", "「165"):
        finisher = SpanFinisher(["165問"], whole=True)
        shown = finisher.feed(raw) + finisher.finish()
        assert shown == "165問", raw


def test_the_evidence_chunk_is_listed_first_with_ranks_renumbered():
    from corpus.chunking import Chunk
    from index.retriever import Hit
    from assistant.answer.evidence import Evidence, evidence_first

    hits = tuple(Hit(Chunk(f"c{i}", "n.md", "h", f"text {i}"), 1.0 / i, i) for i in (1, 2, 3))
    chosen = Evidence(hits[2].chunk, 3, "text 3", 0.8, 0.5, 0.9)
    ordered = evidence_first(hits, chosen)
    assert [h.chunk.id for h in ordered] == ["c3", "c1", "c2"] and [h.rank for h in ordered] == [1, 2, 3]
    assert evidence_first(hits, None) == hits and evidence_first(hits, Evidence(hits[0].chunk, 1, "t", 0, 0, 0)) == hits


@pytest.mark.parametrize("question", ["パイプモードの利点は？", "What are the benefits of pipe mode?", "パイプモードにすると何が良くなりますか？"])
def test_a_benefit_is_the_clause_after_its_cause(question):
    sentence = "パイプモードではファイルのDLを行わずに、データを直接ストリーミング処理するため、スループット向上や使用ディスク領域の削減ができる。"
    analysed = Question.analyse(question)
    assert analysed.wants_effect
    assert answer_candidates(analysed, sentence)[0].startswith("スループット向上や使用ディスク領域の削減")


def test_no_cause_no_change():
    sentence = "Pruning(枝刈り) モデルのサイズと複雑さを軽減、推論速度を向上しエネルギー消費を削減する。"
    assert answer_candidates(Question.analyse("Pruning(枝刈り)の効果は何ですか？"), sentence)[0].startswith("モデルのサイズ")


@pytest.mark.parametrize("question, sentence, date", [
    ("筆者が受験したのはいつですか？", "2025/02/13 に「AWS Certified Machine Learning Engineer - Associate」を受験しました。", "2025/02/13"),
    ("When was FHS 3.0 published?", "The Filesystem Hierarchy Standard (FHS), Version 3.0, published March 19, 2015.", "March 19, 2015"),
    ("受験料はいつ見直されますか？", "※料金は為替レートに合わせて毎年4月に見直されます。", "毎年4月"),
])
def test_a_when_question_gets_the_date_itself(question, sentence, date):
    analysed = Question.analyse(question)
    assert analysed.wants_date and answer_candidates(analysed, sentence)[0] == date


def test_a_whole_answer_is_the_candidate_wherever_the_model_starts_or_stops_in_it():
    from assistant.answer.plan import SpanFinisher

    finisher = SpanFinisher(["March 19, 2015"], whole=True)
    assert finisher.feed("2015") + finisher.finish() == "March 19, 2015"
