"""Metrics against known values: hand-computed char-F1/EM/accuracy tables, sacrebleu's README examples, pytrec_eval."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.text import answer_form
from eval.metrics import (
    RETRIEVAL_KEYS,
    Accuracy,
    Bleu,
    CharF1,
    Chrf,
    ExactMatch,
    abstention_scores,
    auroc,
    binary_ndcg,
    confidence_scores,
    expected_calibration_error,
    first_relevant_rank,
    hit_rate_curve,
    retrieval_scores,
)

F1, EM, ACC = CharF1(), ExactMatch(), Accuracy()
LONG_SENTENCE = "試験の合格ラインについてはスコアが100~1000点の範囲で720点以上とされていると書かれています"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("６５問。", "65問"),
        ("Dynamic Data  Masking", "dynamicdatamasking"),
        ("試験 時間\n90分。", "試験時間90分"),
        ("ｽｺｱ", "スコア"),
        ("答え。。", "答え"),
        ("。途中。の句点", "。途中。の句点"),
    ],
)
def test_answer_form(text, expected):
    assert answer_form(text) == expected


@pytest.mark.parametrize(
    "prediction, golds, expected",
    [
        ("65問", ["65問"], 100.0),
        ("６５問", ["65問"], 100.0),  # NFKC: full-width digits
        ("ｽｺｱ", ["スコア"], 100.0),  # NFKC: half-width katakana
        ("90分", ["90分。"], 100.0),  # trailing 。 on the gold
        ("試験 時間", ["試験時間"], 100.0),  # whitespace removed
        ("Dynamic Data Masking", ["dynamic data masking"], 100.0),  # lowercase
        # "720点です" (6 chars) vs "720点" (4): 4 common, P=4/6, R=1 -> 80
        ("720点です。", ["720点"], 80.0),
        # "l2正則化" (5) vs "l2正則化はすべての重みを小さくする" (18): 5 common, P=1, R=5/18
        ("L2正則化", ["L2正則化はすべての重みを小さくする。"], 100 * 2 * (5 / 18) / (1 + 5 / 18)),
        # L,1,正,則,化 vs L,2,正,則,化: P = R = 4/5
        ("L1正則化", ["L2正則化"], 80.0),
        # character counts are clipped: あ,あ,い vs あ,い -> 2 common, P=2/3, R=1
        ("ああい", ["あい"], 80.0),
        # best of several golds: vs "65問" P=1, R=2/3 -> 80; vs the long gold only 2 of 16 chars
        ("65", ["65問 (うち15問は採点対象外)", "65問"], 80.0),
        ("65問", ["65問 (うち15問は採点対象外)", "65問"], 100.0),
        # English answer, Japanese-style char F1: "thepassingscoreis720" (20) vs "720": P=3/20, R=1
        ("The passing score is 720", ["720"], 100 * 2 * 0.15 / 1.15),
        ("abc", ["xyz"], 0.0),
        ("", ["65問"], 0.0),
        ("65問", [""], 0.0),
        ("", [""], 100.0),  # SQuAD convention: both empty
        ("。", ["。"], 100.0),  # both normalise to empty
    ],
)
def test_char_f1_known_values(prediction, golds, expected):
    assert F1.sentence_score(prediction, golds) == pytest.approx(expected)


@pytest.mark.parametrize(
    "prediction, golds, expected",
    [
        ("６５問。", ["65問"], 100.0),
        ("65問です", ["65問"], 0.0),
        ("Amazon Q", ["x", "amazon q"], 100.0),
        ("", ["a"], 0.0),
        ("720", ["720点", "720"], 100.0),
    ],
)
def test_exact_match_known_values(prediction, golds, expected):
    assert EM.sentence_score(prediction, golds) == expected


@pytest.mark.parametrize(
    "prediction, golds, expected",
    [
        ("720点", ["720点"], 100.0),
        ("720点", ["820点"], 0.0),  # a wrong number is wrong, however close its characters
        ("720点です。", ["720点"], 100.0),  # 6 chars after the final 。 goes, limit 2*4+6 = 14
        ("100~1000点中720点", ["720点"], 100.0),  # 14 chars: exactly at the limit
        ("100~1000点中の720点", ["720点"], 0.0),  # 15 chars: one over
        (LONG_SENTENCE, ["720点"], 0.0),  # holds the answer but is far too long
        ("", ["720点"], 0.0),  # an abstention scores as the empty answer
        ("65", ["65問"], 0.0),  # only part of the gold answer
        ("６５問。", ["65問"], 100.0),  # NFKC and the final 。
        ("Amazon SageMaker  Canvas", ["amazon sagemaker canvas"], 100.0),  # case and whitespace
        # best over the references: too long for the long gold it lacks, short enough for "65問" (limit 12)
        ("答えは65問です", ["65問 (うち15問は採点対象外)", "65問"], 100.0),
        ("the answer is smote", ["SMOTE"], 100.0),  # 16 chars, limit 2*5+6 = 16
        ("the answer is SMOTE.", ["SMOTE"], 0.0),  # a final "." is not removed (only 。): 17 chars
        ("x", [""], 0.0),  # an empty gold answer makes nothing right
        ("", [""], 0.0),
    ],
)
def test_accuracy_known_values(prediction, golds, expected):
    assert ACC.sentence_score(prediction, golds) == expected


def test_the_long_sentence_is_long():
    assert len(answer_form(LONG_SENTENCE)) > 2 * len("720点") + 6 and "720点" in LONG_SENTENCE


def test_corpus_f1_and_em_are_means_of_sentence_scores():
    hyps, refs = ["65問", "L1正則化", "x"], [["65問"], ["L2正則化"], ["y"]]
    assert F1.corpus_score(hyps, refs) == pytest.approx((100 + 80 + 0) / 3)
    assert EM.corpus_score(hyps, refs) == pytest.approx(100 / 3)
    assert ACC.corpus_score(["65問です", "L1正則化", ""], refs) == pytest.approx(100 / 3)
    assert ACC.name == "accuracy"
    assert F1.corpus_score([], []) == 0.0
    with pytest.raises(ValueError):
        F1.corpus_score(["a"], [])


# sacrebleu's README ("Using SacreBLEU from Python"), references given per stream there, per sentence here.
README_SYS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
README_REFS = [
    ["The dog bit the man.", "The dog had bit the man."],
    ["It was not unexpected.", "No one was surprised."],
    ["The man bit him first.", "The man had bitten the dog."],
]


def test_bleu_matches_the_sacrebleu_readme_example():
    # README: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ...) with the default 13a tokenizer
    assert Bleu(tokenize="13a").corpus_score(README_SYS, README_REFS) == pytest.approx(48.53, abs=0.005)


def test_bleu_with_a_variable_number_of_references_matches_the_readme():
    # README "Variable Number of References": the first sentence loses its first reference -> 29.44
    refs = [["The dog had bit the man."], README_REFS[1], README_REFS[2]]
    assert Bleu(tokenize="13a").corpus_score(README_SYS, refs) == pytest.approx(29.44, abs=0.005)


def test_chrf_matches_the_sacrebleu_readme_example():
    assert Chrf().corpus_score(README_SYS, README_REFS) == pytest.approx(59.73, abs=0.005)


def test_bleu_ja_mecab_hand_computed():
    # MeCab: 機械 学習 は 面白い 。 (5) vs 機械 学習 は とても 面白い 。 (6).
    # n-gram precisions 5/5, 3/4, 1/3, 0/2 (exp smoothing: 1/(2*2)); BP = exp(1 - 6/5).
    expected = 100 * math.exp(1 - 6 / 5) * (1 * 0.75 * (1 / 3) * 0.25) ** 0.25
    hyp, ref = "機械学習は面白い。", "機械学習はとても面白い。"
    assert expected == pytest.approx(40.94, abs=0.005)
    assert Bleu().sentence_score(hyp, [ref]) == pytest.approx(expected, abs=1e-6)
    assert Bleu().corpus_score([hyp], [[ref]]) == pytest.approx(expected, abs=1e-6)


def test_bleu_needs_the_japanese_tokenizer():
    # 13a leaves a Japanese sentence as one token, so a near miss scores 0 (DESIGN); ja-mecab does not.
    assert Bleu(tokenize="13a").sentence_score("機械学習は面白い。", ["機械学習はとても面白い。"]) == 0.0
    bleu = Bleu()
    bleu.corpus_score(["機械学習"], [["機械学習"]])
    assert "tok:ja-mecab" in bleu.signature()


def test_bleu_and_chrf_normalise_width():
    assert Bleu().sentence_score("６５問", ["65問"]) == pytest.approx(100.0)
    assert Chrf().sentence_score("６５問です", ["65問です"]) == pytest.approx(100.0)


def test_empty_hypothesis_scores_zero():
    assert Bleu().sentence_score("", ["65問"]) == 0.0
    assert Chrf().sentence_score("", ["65問"]) == 0.0


def test_abstention_scores_hand_computed():
    #            abstained:  T      T      F     F      T
    #           answerable:  F      T      T     F      F
    scores = abstention_scores([True, True, False, False, True], [False, True, True, False, False])
    assert scores.precision == pytest.approx(2 / 3)  # 2 of 3 abstentions were on unanswerable items
    assert scores.recall == pytest.approx(2 / 3)  # 2 of 3 unanswerable items abstained
    assert scores.false_abstention_rate == pytest.approx(1 / 2)  # 1 of 2 answerable items abstained


def test_abstention_rates_with_empty_denominators_are_none():
    scores = abstention_scores([False, False], [True, True])
    assert (scores.precision, scores.recall, scores.false_abstention_rate) == (None, None, 0.0)


def test_retrieval_scores_hand_computed():
    rankings = {"q1": ["a", "b", "c"], "q2": ["c", "a"], "q3": ["x"], "q4": []}
    relevant = {"q1": {"b"}, "q2": {"c", "a"}, "q3": {"y"}, "q4": {"a"}}
    scores = retrieval_scores(rankings, relevant)
    assert scores.n == 4
    assert scores.per_query["q1"]["recall@1"] == 0.0
    assert scores.per_query["q1"]["recall@3"] == 1.0
    assert scores.per_query["q1"]["mrr@10"] == pytest.approx(0.5)
    assert scores.per_query["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert scores.per_query["q2"]["ndcg@10"] == pytest.approx(1.0)
    assert scores.per_query["q4"] == {key: 0.0 for key in scores.per_query["q4"]}  # no ranking at all
    assert scores.means["recall@1"] == pytest.approx(1 / 4)
    assert scores.means["recall@3"] == pytest.approx(2 / 4)
    assert scores.means["mrr@10"] == pytest.approx((0.5 + 1) / 4)
    assert list(scores.as_dict()) == ["n", *RETRIEVAL_KEYS]


def test_questions_without_relevant_chunks_count_as_misses():
    scores = retrieval_scores({"q1": ["a"], "q2": ["a"]}, {"q1": {"a"}, "q2": set()})
    assert scores.n == 2
    assert scores.means["recall@1"] == 0.5


def test_ranking_order_is_kept_not_re_sorted_by_chunk_id():
    # trec_eval sorts by score; equal scores would be ordered by doc id. The run must keep our order.
    scores = retrieval_scores({"q": ["z", "a"]}, {"q": {"z"}})
    assert scores.means["recall@1"] == 1.0


def _random_case(rng: random.Random):
    docs = [f"d{i}" for i in range(20)]
    rankings, relevant = {}, {}
    for q in range(40):
        qid = f"q{q}"
        rankings[qid] = rng.sample(docs, rng.randint(0, 10))
        relevant[qid] = set(rng.sample(docs, rng.randint(0, 4)))
    return rankings, relevant


@pytest.mark.parametrize("seed", range(5))
def test_own_rank_functions_agree_with_pytrec_eval_on_random_rankings(seed):
    import pytrec_eval

    rankings, relevant = _random_case(random.Random(seed))
    scores = retrieval_scores(rankings, relevant, extra_cutoffs=range(1, 11))
    firsts = [first_relevant_rank(rankings[q], relevant[q]) for q in relevant]
    curve = hit_rate_curve(firsts)
    for k in range(1, 11):
        assert scores.means[f"recall@{k}"] == pytest.approx(curve[k - 1])
    assert scores.means["mrr@10"] == pytest.approx(sum(1 / r for r in firsts if r) / len(firsts))
    ndcgs = [binary_ndcg(rankings[q], relevant[q]) for q in relevant]
    assert scores.means["ndcg@10"] == pytest.approx(sum(ndcgs) / len(ndcgs))
    # And the wrapper passes pytrec_eval's own per-query figures through unchanged.
    qrels = {q: {d: 1 for d in rel} for q, rel in relevant.items() if rel}
    run = {q: {d: 10.0 - i for i, d in enumerate(r)} for q, r in rankings.items() if q in qrels and r}
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"success.1,3,5,10", "recip_rank", "ndcg_cut.10"}).evaluate(run)
    for qid, values in direct.items():
        assert scores.per_query[qid]["recall@5"] == values["success_5"]
        assert scores.per_query[qid]["mrr@10"] == values["recip_rank"]
        assert scores.per_query[qid]["ndcg@10"] == values["ndcg_cut_10"]


# --- properties ----------------------------------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from(list("あいう試験時間65６５問。 、AbcＡ\n.点")), max_size=20)


@given(texts, st.lists(texts, min_size=1, max_size=3))
def test_f1_and_em_stay_in_range(prediction, golds):
    assert 0.0 <= F1.sentence_score(prediction, golds) <= 100.0
    assert EM.sentence_score(prediction, golds) in (0.0, 100.0)
    assert ACC.sentence_score(prediction, golds) in (0.0, 100.0)


@given(texts, st.lists(texts, min_size=1, max_size=3))
def test_an_exact_match_is_accurate(prediction, golds):
    # Strict accuracy only ever adds to exact match: an exact answer (non-empty) is right.
    if EM.sentence_score(prediction, golds) == 100.0 and answer_form(prediction):
        assert ACC.sentence_score(prediction, golds) == 100.0


@given(st.text(max_size=40))
def test_f1_and_em_of_a_string_with_itself_are_100(text):
    assert F1.sentence_score(text, [text]) == pytest.approx(100.0)
    assert EM.sentence_score(text, [text]) == 100.0


@settings(max_examples=40, deadline=None)
@given(texts, st.lists(texts, min_size=1, max_size=3))
def test_bleu_and_chrf_stay_in_range(prediction, golds):
    assert 0.0 <= Bleu().sentence_score(prediction, golds) <= 100.0 + 1e-9
    assert 0.0 <= Chrf().sentence_score(prediction, golds) <= 100.0 + 1e-9


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"q{i}" for i in range(8)]),
        st.tuples(
            st.lists(st.sampled_from([f"d{i}" for i in range(12)]), max_size=12),
            st.sets(st.sampled_from([f"d{i}" for i in range(12)]), max_size=4),
        ),
        min_size=1,
    )
)
def test_retrieval_scores_stay_in_unit_range(case):
    scores = retrieval_scores({q: r for q, (r, _) in case.items()}, {q: rel for q, (_, rel) in case.items()})
    for per_query in scores.per_query.values():
        assert all(0.0 <= v <= 1.0 for v in per_query.values())
    assert all(0.0 <= v <= 1.0 for v in scores.means.values())
    assert scores.means["recall@1"] <= scores.means["recall@3"] <= scores.means["recall@5"] <= scores.means["recall@10"]


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=20))
def test_abstention_rates_stay_in_unit_range(pairs):
    scores = abstention_scores([a for a, _ in pairs], [b for _, b in pairs])
    for value in (scores.precision, scores.recall, scores.false_abstention_rate):
        assert value is None or 0.0 <= value <= 1.0


@pytest.mark.parametrize("scores, right, expected", [
    ([0.9, 0.8, 0.2, 0.1], [True, True, False, False], 1.0),
    ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
    ([0.5, 0.5, 0.5, 0.5], [True, False, True, False], 0.5),  # ties count half
    ([0.9, 0.3, 0.6, 0.1], [True, True, False, False], 0.75),  # 3 of the 4 right-wrong pairs are ordered right
    ([0.9, 0.8], [True, True], None),
    ([], [], None),
])
def test_auroc_known_values(scores, right, expected):
    assert auroc(scores, right) == (pytest.approx(expected) if expected is not None else None)


def test_auroc_matches_the_pairwise_definition():
    rng = random.Random(3)
    scores = [round(rng.random(), 1) for _ in range(60)]
    right = [rng.random() < s for s in scores]
    pairs = [(p, n) for p, r in zip(scores, right) if r for n, w in zip(scores, right) if not w]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert auroc(scores, right) == pytest.approx(expected)


@pytest.mark.parametrize("probabilities, right, expected", [
    ([1.0, 1.0, 0.0, 0.0], [True, True, False, False], 0.0),  # 1.0 falls in the last bin
    ([0.75, 0.75, 0.75, 0.75], [True, True, True, False], 0.0),
    ([0.9, 0.9], [False, False], 0.9),
    ([0.05, 0.95, 0.55], [True, True, False], (0.95 + 0.05 + 0.55) / 3),
    ([], [], None),
])
def test_expected_calibration_error_known_values(probabilities, right, expected):
    assert expected_calibration_error(probabilities, right) == (pytest.approx(expected) if expected is not None else None)


def test_confidence_scores_threshold_share_and_accuracy():
    s = confidence_scores([0.9, 0.6, 0.5, 0.2], [True, False, True, False], threshold=0.5)
    assert s.n == 4 and s.threshold == 0.5 and s.share_above == 0.75 and s.accuracy_above == pytest.approx(2 / 3)
    assert confidence_scores([0.2], [True], threshold=0.5).accuracy_above is None
    with pytest.raises(ValueError):
        auroc([0.1], [True, False])
