"""Answer metrics (char-F1, exact match, strict accuracy, BLEU, chrF, abstention, confidence) and retrieval metrics (via pytrec_eval).

Answer scores are on a 0–100 scale, abstention and retrieval scores on 0–1. Each answer metric has a
`sentence_score(hypothesis, references)` and a `corpus_score(hypotheses, references)`, as in sacrebleu;
`references` is the tuple of acceptable gold answers for one question.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from corpus.text import answer_form, nfkc

# Defined once; the harness, the report and the CLI read these.
BLEU_TOKENIZER = "ja-mecab"
RETRIEVAL_CUTOFFS = (1, 3, 5, 10)
RETRIEVAL_DEPTH = 10
# Strict accuracy (DESIGN): a right answer holds a whole gold answer and is at most this long.
ACCURACY_LENGTH_FACTOR = 2
ACCURACY_LENGTH_SLACK = 6


def _best(scores: Sequence[float]) -> float:
    return max(scores) if scores else 0.0


class AnswerMetric:
    """Base class: `name`, a 0–100 sentence score against several references, and a corpus score."""

    name = "metric"

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        raise NotImplementedError

    def corpus_score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> float:
        """The mean sentence score; subclasses with a true corpus statistic override this."""
        _check_lengths(hypotheses, references)
        if not hypotheses:
            return 0.0
        return sum(self.sentence_score(h, r) for h, r in zip(hypotheses, references)) / len(hypotheses)


def _check_lengths(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")


class CharF1(AnswerMetric):
    """Character-level F1 as in JSQuAD, best over the references. Two empty strings score 100."""

    name = "f1"

    @staticmethod
    def pair_score(hypothesis: str, reference: str) -> float:
        hyp, ref = answer_form(hypothesis), answer_form(reference)
        if not hyp or not ref:
            return 100.0 if hyp == ref else 0.0
        common = sum((Counter(hyp) & Counter(ref)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(hyp), common / len(ref)
        return 100.0 * 2 * precision * recall / (precision + recall)

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        return _best([self.pair_score(hypothesis, r) for r in references])


class ExactMatch(AnswerMetric):
    """100 when the normalised hypothesis equals one normalised reference, else 0."""

    name = "exact_match"

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        hyp = answer_form(hypothesis)
        return 100.0 if any(hyp == answer_form(r) for r in references) else 0.0


class Accuracy(AnswerMetric):
    """Strict accuracy (DESIGN): 100 when the normalised hypothesis contains a whole normalised reference and is
    at most 2 × that reference's length + 6 characters long, else 0. Best over the references."""

    name = "accuracy"

    @staticmethod
    def pair_right(hypothesis: str, reference: str) -> bool:
        hyp, ref = answer_form(hypothesis), answer_form(reference)
        # An empty reference would be "contained" in anything; it never makes an answer right.
        return bool(ref) and ref in hyp and len(hyp) <= ACCURACY_LENGTH_FACTOR * len(ref) + ACCURACY_LENGTH_SLACK

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        return 100.0 if any(self.pair_right(hypothesis, r) for r in references) else 0.0


def _reference_streams(references: Sequence[Sequence[str]]) -> list[list[str | None]]:
    """sacrebleu's layout: one stream per reference position, padded with None where a question has fewer."""
    width = max((len(r) for r in references), default=0)
    return [[_bleu_form(r[i]) if i < len(r) else None for r in references] for i in range(max(width, 1))]


def _bleu_form(text: str) -> str:
    # Full-width and half-width forms of the same character mean the same in these notes.
    return nfkc(text).strip()


class Bleu(AnswerMetric):
    """sacrebleu BLEU with the MeCab (IPA) tokenizer; sentence scores use effective order.

    Texts are NFKC-normalised first. Case is kept (sacrebleu's default).
    """

    name = "bleu"

    def __init__(self, tokenize: str = BLEU_TOKENIZER) -> None:
        self.tokenize = tokenize

    @cached_property
    def _corpus(self):
        from sacrebleu.metrics import BLEU

        return BLEU(tokenize=self.tokenize)

    @cached_property
    def _sentence(self):
        from sacrebleu.metrics import BLEU

        return BLEU(tokenize=self.tokenize, effective_order=True)

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        refs = [_bleu_form(r) for r in references] or [""]
        return float(self._sentence.sentence_score(_bleu_form(hypothesis), refs).score)

    def corpus_score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> float:
        _check_lengths(hypotheses, references)
        if not hypotheses:
            return 0.0
        return float(self._corpus.corpus_score([_bleu_form(h) for h in hypotheses], _reference_streams(references)).score)

    def signature(self) -> str:
        """sacrebleu's signature of the last corpus score (it knows the reference count only after one)."""
        return str(self._corpus.get_signature())


class Chrf(AnswerMetric):
    """sacrebleu chrF (character 6-grams, beta 2) on NFKC-normalised text."""

    name = "chrf"

    @cached_property
    def _metric(self):
        from sacrebleu.metrics import CHRF

        return CHRF()

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> float:
        refs = [_bleu_form(r) for r in references] or [""]
        return float(self._metric.sentence_score(_bleu_form(hypothesis), refs).score)

    def corpus_score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> float:
        _check_lengths(hypotheses, references)
        if not hypotheses:
            return 0.0
        return float(self._metric.corpus_score([_bleu_form(h) for h in hypotheses], _reference_streams(references)).score)

    def signature(self) -> str:
        """sacrebleu's signature of the last corpus score (it knows the reference count only after one)."""
        return str(self._metric.get_signature())


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class AbstentionScores:
    """Abstaining is the positive class. A rate with an empty denominator is None (null in JSON)."""

    precision: float | None
    recall: float | None
    false_abstention_rate: float | None

    def as_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "false_abstention_rate": self.false_abstention_rate}


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> AbstentionScores:
    """precision = abstained-unanswerable / abstained, recall = abstained-unanswerable / unanswerable,
    false_abstention_rate = abstained-answerable / answerable."""
    if len(abstained) != len(answerable):
        raise ValueError(f"{len(abstained)} abstention flags but {len(answerable)} answerable flags")
    pairs = list(zip(abstained, answerable))
    true_abstentions = sum(1 for a, ok in pairs if a and not ok)
    false_abstentions = sum(1 for a, ok in pairs if a and ok)
    return AbstentionScores(
        precision=_ratio(true_abstentions, true_abstentions + false_abstentions),
        recall=_ratio(true_abstentions, sum(1 for _, ok in pairs if not ok)),
        false_abstention_rate=_ratio(false_abstentions, sum(1 for _, ok in pairs if ok)),
    )


# --- confidence -----------------------------------------------------------------------------------------

# The calibration error bins confidences into this many equal-width bins of [0, 1].
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class ConfidenceScores:
    """How well answers' `confidence` separates right from wrong answers and how calibrated it is (all 0–1).

    `auroc` is None when all answers are right or all wrong; `accuracy_above` is None when no answer reaches
    `threshold`. `n` counts the answers scored (those with a confidence).
    """

    n: int
    auroc: float | None
    ece: float | None
    threshold: float
    accuracy_above: float | None
    share_above: float | None

    def as_dict(self) -> dict:
        return {"n": self.n, "auroc": self.auroc, "ece": self.ece, "threshold": self.threshold,
                "accuracy_above": self.accuracy_above, "share_above": self.share_above}


def auroc(scores: Sequence[float], right: Sequence[bool]) -> float | None:
    """The area under the ROC curve of `scores` for telling right answers from wrong ones (ties count half);
    None when only one class is present."""
    if len(scores) != len(right):
        raise ValueError(f"{len(scores)} scores but {len(right)} labels")
    if len(set(right)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([int(r) for r in right], list(scores)))


def expected_calibration_error(probabilities: Sequence[float], right: Sequence[bool], bins: int = CALIBRATION_BINS) -> float | None:
    """Σ over equal-width bins of (share of answers in the bin) × |mean confidence − accuracy in the bin|; None if empty.

    A confidence of exactly 1.0 falls in the last bin.
    """
    if len(probabilities) != len(right):
        raise ValueError(f"{len(probabilities)} probabilities but {len(right)} labels")
    if not probabilities:
        return None
    groups: dict[int, list[tuple[float, bool]]] = {}
    for p, r in zip(probabilities, right):
        groups.setdefault(min(int(p * bins), bins - 1), []).append((p, r))
    n = len(probabilities)
    return sum(
        len(g) / n * abs(sum(p for p, _ in g) / len(g) - sum(1 for _, r in g if r) / len(g)) for g in groups.values()
    )


def confidence_scores(probabilities: Sequence[float], right: Sequence[bool], threshold: float) -> ConfidenceScores:
    """AUROC, calibration error, and the accuracy and share of the answers whose confidence reaches `threshold`."""
    above = [r for p, r in zip(probabilities, right) if p >= threshold]
    return ConfidenceScores(
        n=len(probabilities),
        auroc=auroc(probabilities, right),
        ece=expected_calibration_error(probabilities, right),
        threshold=threshold,
        accuracy_above=_ratio(sum(1 for r in above if r), len(above)),
        share_above=_ratio(len(above), len(probabilities)),
    )


# --- retrieval -----------------------------------------------------------------------------------------

# Our names for the pytrec_eval (trec_eval) measures. trec_eval's own `recall_k` is the fraction of a
# query's relevant documents in the top k; "recall@k" here is the fraction of questions with at least one
# relevant chunk in the top k, which is trec_eval's `success_k`.
_TREC_MEASURES = {f"recall@{k}": f"success_{k}" for k in RETRIEVAL_CUTOFFS} | {
    f"mrr@{RETRIEVAL_DEPTH}": "recip_rank",  # on a run cut to the top 10, recip_rank is MRR@10
    f"ndcg@{RETRIEVAL_DEPTH}": f"ndcg_cut_{RETRIEVAL_DEPTH}",
}
RETRIEVAL_KEYS = tuple(_TREC_MEASURES)


@dataclass(frozen=True)
class RetrievalScores:
    """Means over the questions, plus each question's own scores under the same names."""

    n: int
    means: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"n": self.n, **{key: self.means[key] for key in RETRIEVAL_KEYS}}


def _trec_run(rankings: Mapping[str, Sequence[str]], depth: int) -> dict[str, dict[str, float]]:
    """A trec run with strictly decreasing scores, so trec_eval keeps our order (it re-sorts by score)."""
    run = {}
    for qid, ranking in rankings.items():
        top = list(dict.fromkeys(ranking))[:depth]
        run[qid] = {doc: float(depth - i) for i, doc in enumerate(top)}
    return run


def retrieval_scores(
    rankings: Mapping[str, Sequence[str]],
    relevant: Mapping[str, set[str] | frozenset[str]],
    extra_cutoffs: Sequence[int] = (),
) -> RetrievalScores:
    """recall@1/3/5/10, MRR@10 and nDCG@10 (binary relevance) over the questions in `relevant`.

    `rankings` maps a question id to chunk ids, best first (cut to the top 10); `relevant` maps every
    scored question to its relevant chunk ids. A question with no relevant chunk, or with no ranking,
    scores 0 everywhere (trec_eval would silently drop it). `extra_cutoffs` adds `recall@k` for more k.
    """
    import pytrec_eval

    cutoffs = sorted(set(RETRIEVAL_CUTOFFS) | set(extra_cutoffs))
    if cutoffs[0] < 1 or cutoffs[-1] > RETRIEVAL_DEPTH:
        raise ValueError(f"cutoffs must lie in 1..{RETRIEVAL_DEPTH}, got {cutoffs}")
    measures = {f"recall@{k}": f"success_{k}" for k in cutoffs} | {
        key: measure for key, measure in _TREC_MEASURES.items() if not key.startswith("recall@")
    }
    qrels = {qid: {doc: 1 for doc in docs} for qid, docs in relevant.items() if docs}
    run = {qid: docs for qid, docs in _trec_run(rankings, RETRIEVAL_DEPTH).items() if qid in qrels and docs}
    trec_names = {f"success.{','.join(str(k) for k in cutoffs)}", "recip_rank", f"ndcg_cut.{RETRIEVAL_DEPTH}"}
    evaluated = pytrec_eval.RelevanceEvaluator(qrels, trec_names).evaluate(run) if run else {}
    per_query = {
        qid: {key: float(evaluated.get(qid, {}).get(measure, 0.0)) for key, measure in measures.items()} for qid in relevant
    }
    n = len(per_query)
    means = {key: (sum(q[key] for q in per_query.values()) / n if n else 0.0) for key in measures}
    return RetrievalScores(n, means, per_query)


def first_relevant_rank(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> int | None:
    """The 1-based rank of the first relevant chunk in `ranking`, or None."""
    return next((rank for rank, doc in enumerate(ranking, start=1) if doc in relevant), None)


def hit_rate_curve(first_ranks: Sequence[int | None], max_k: int = RETRIEVAL_DEPTH) -> list[float]:
    """recall@k for k = 1..max_k: the fraction of questions whose first relevant rank is at most k."""
    n = len(first_ranks)
    return [sum(1 for r in first_ranks if r is not None and r <= k) / n if n else 0.0 for k in range(1, max_k + 1)]


def binary_ndcg(ranking: Sequence[str], relevant: set[str] | frozenset[str], depth: int = RETRIEVAL_DEPTH) -> float:
    """nDCG@depth with 0/1 gains and log2(rank + 1) discounts, as trec_eval's ndcg_cut computes it."""
    gains = [1.0 if doc in relevant else 0.0 for doc in list(dict.fromkeys(ranking))[:depth]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), depth)))
    return dcg / ideal if ideal else 0.0
