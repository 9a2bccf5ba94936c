"""The answer confidence: its features, the stored logistic regression, and its place in the answer record."""

from __future__ import annotations

import math

import pytest

from assistant.answer.confidence import (
    CONFIDENCE, LIKELY_RIGHT_FROM, MAX_MARGIN, ConfidenceModel, confidence_features, cut_inside_a_word,
)
from assistant.answer.evidence import Evidence
from assistant.answer.question import Question
from corpus.chunking import Chunk
from index.retriever import Hit

EXAM = Chunk("c1", "exam.md", "試験 > 試験要項", "| 試験時間 | 90分 |\n| 合格ライン | 100~1000点中720点 |")
ML = Chunk("c2", "ml.md", "ML > 正則化", "L2正則化はすべての重みを小さくする。")
HITS = (Hit(EXAM, 0.03, 1, dense_score=0.88, bm25_score=4.0), Hit(ML, 0.02, 2, dense_score=0.91, bm25_score=1.0))


def evidence(chunk=EXAM, sentence="| 試験時間 | 90分 |", rank=1, score=1.05, similarity=0.86, coverage=0.5):
    return Evidence(chunk, rank, sentence, similarity, coverage, score)


def features(question="試験時間は何分ですか？", answer="90分", ranked=None, candidates=("90分",)):
    ranked = ranked if ranked is not None else (evidence(), evidence(sentence="| 合格ライン | 100~1000点中720点 |", score=0.95))
    return confidence_features(Question.analyse(question), ranked, HITS, answer, candidates)


def test_features_of_a_counted_number_copied_from_a_table_row():
    f = features()
    assert f["score"] == 1.05 and f["similarity"] == 0.86 and f["coverage"] == 0.5
    assert f["margin"] == pytest.approx(0.1) and f["evidence_rank"] == 1.0
    assert f["best_similarity"] == 0.91 and f["chunk_similarity"] == 0.88
    assert f["dense_first"] == 0.0 and f["bm25_first"] == 1.0  # ML is closer in meaning, EXAM has the words
    assert f["wants_number"] == f["number_found"] == f["counter_found"] == 1.0 and f["number_missing"] == 0.0
    assert f["table_row"] == 1.0 and f["first_candidate"] == 1.0 and f["english"] == 0.0
    assert f["answer_chars"] == round(math.log1p(3), 4) and f["dangling"] == f["pointing"] == 0.0


def test_features_of_a_wrong_looking_answer():
    f = features(answer="この値により", candidates=("90分",))
    assert f["number_missing"] == 1.0 and f["number_found"] == f["counter_found"] == 0.0
    assert f["pointing"] == 1.0 and f["dangling"] == 1.0 and f["first_candidate"] == 0.0


@pytest.mark.parametrize("answer, sentence, cut", [
    ("アンダーサンプリングとSMOTEによ", "アンダーサンプリングとSMOTEによるオーバーサンプリングがある", True),
    ("読みこ", "読みこまれるだけで書き込まれることはない", True),
    ("ンダーサンプリング", "アンダーサンプリングがある", True),
    ("SMOTE", "アンダーサンプリングとSMOTEによる", False),
    ("90分", "試験時間 90分", False),
    ("not in the sentence", "試験時間 90分", False),
])
def test_an_answer_cut_inside_a_word(answer, sentence, cut):
    assert cut_inside_a_word(answer, sentence) is cut


@pytest.mark.parametrize("answer, dangling", [
    ("モデルのパフォーマンスに影響を与えるデータ分布の", True), ("CloudWatch Eventsを使用し", True), ("7 です", True),
    ("学習に時間がかかる", False), ("720点", False), ("Real World Knowledge", False),
])
def test_a_dangling_ending(answer, dangling):
    assert features(answer=answer)["dangling"] == float(dangling)


def test_a_lone_sentence_has_the_largest_margin_and_no_evidence_gives_no_features():
    assert features(ranked=(evidence(),))["margin"] == MAX_MARGIN
    assert features(ranked=(evidence(score=2.0), evidence(score=0.1)))["margin"] == MAX_MARGIN
    assert features(ranked=()) == {}


def test_english_question_and_whole_sentence_answer():
    ranked = (evidence(ML, "L2正則化はすべての重みを小さくする。", rank=2),)
    f = features("What does L2 regularization do?", "L2正則化はすべての重みを小さくする", ranked, ())
    assert f["english"] == 1.0 and f["whole_sentence"] == 1.0 and f["answer_share"] == 1.0
    assert f["wants_number"] == 0.0 and f["table_row"] == 0.0 and f["first_candidate"] == 0.0
    assert f["dense_first"] == 1.0 and f["bm25_first"] == 0.0 and f["evidence_rank"] == 2.0


@pytest.mark.parametrize("intercept, weights, values, expected", [
    (0.0, (), {}, 0.5),
    (0.0, (("a", 1.0),), {"a": math.log(3)}, 0.75),
    (1.0, (("a", 2.0), ("b", -1.0)), {"a": 0.5, "b": 2.0, "extra": 9.0}, 0.5),
    (0.0, (("a", 1000.0),), {"a": 1.0}, 1.0),
    (0.0, (("a", 1000.0),), {"a": -1.0}, 0.0),
])
def test_model_probability_known_values(intercept, weights, values, expected):
    assert ConfidenceModel(intercept, weights).probability(values) == pytest.approx(expected, abs=1e-4)


def test_model_needs_every_feature_it_weighs():
    assert ConfidenceModel(0.0, (("a", 1.0),)).probability({"b": 1.0}) is None


def test_the_stored_model_uses_only_features_the_answer_step_computes():
    assert CONFIDENCE.features and set(CONFIDENCE.features) <= set(features())
    assert 0.0 < CONFIDENCE.probability(features()) < 1.0
    assert 0.0 < LIKELY_RIGHT_FROM < 1.0


def test_a_clear_counted_number_is_more_likely_right_than_a_dangling_clause():
    good = CONFIDENCE.probability(features())
    bad = CONFIDENCE.probability(features(answer="この値により", candidates=("90分",), ranked=(
        evidence(score=0.90), evidence(sentence="| 合格ライン | 100~1000点中720点 |", score=0.899))))
    assert good > LIKELY_RIGHT_FROM > bad
