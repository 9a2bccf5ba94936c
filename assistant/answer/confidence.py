"""How likely an answer is right: a small logistic regression over signals the answer step already has.

The features are read at answer time, with no extra model call: the evidence sentence's score, similarity and
coverage (assistant.answer.evidence), its lead over the next sentence, the retrieval rank of its chunk, the best
dense similarity, whether the answer has the number (and unit) the question asks for, and the answer's length
against its sentence, and whether the span ends on a particle or inside a word. `confidence_features` computes them
all (batch records carry them as `confidence_features`, so that refitting needs no new answers); the model uses the
ones it has a weight for. The weights come from eval/calibrate.py (the command is below, at CONFIDENCE).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from corpus.text import HIRAGANA, comparable, word_boundaries
from index.retriever import Hit

from assistant.answer.evidence import Evidence
from assistant.answer.question import Question
from assistant.answer.spans import answer_candidates, plain_sentence
from assistant.answer.words import has_counted_number, has_new_number

# An answer is shown as "likely right" at or above this confidence, "unsure" below it: the lowest multiple of 0.05 at
# which 80 % of the dev answers at or above it were right, with each answer scored by a model fitted without it
# (5-fold cross-validation; `python -m eval.calibrate` prints it). About 25 % of the dev answers reach it.
LIKELY_RIGHT_FROM = 0.7
# A sentence this much better than the next one is as clear a choice as any: larger leads are cut to this.
MAX_MARGIN = 0.5
# An answer that opens on a pointing word (この機能, その値) names nothing by itself.
_POINTING = re.compile(r"^(この|その|あの|これ|それ|this|that|these|those|it)(?![a-z])", re.IGNORECASE)
_KANA = re.compile(f"[{HIRAGANA}]")
# An answer that ends on a particle, a verb's joining form or a sentence ending (「…を使用し」「…により」「7 です」)
# is a clause cut off where the model stopped, not the thing asked for.
_DANGLING = re.compile(r"(し|て|で|に|を|が|は|と|か|の|へ|や|も|り|から|により|です|ます|である|あり)$")


def cut_inside_a_word(answer: str, sentence: str) -> bool:
    """Does `answer`, where it occurs in `sentence`, start or stop inside a word (「アンダーサンプリングとSMOTEによ」)?"""
    start = sentence.find(answer) if answer else -1
    if start < 0:
        return False
    bounds = word_boundaries(sentence)
    return start not in bounds or start + len(answer) not in bounds


def _bigrams(text: str) -> set[str]:
    text = comparable(text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def confidence_features(question: Question, ranked: Sequence[Evidence], hits: Sequence[Hit], answer: str,
                        candidates: Sequence[str] = ()) -> dict[str, float]:
    """Every signal the confidence model may use, by name, for `answer` drawn from `ranked[0]` (empty without evidence).

    `candidates` are the stretches of the sentence that the model was allowed to copy (empty for free generation).
    """
    if not ranked:
        return {}
    evidence = ranked[0]
    sentence = comparable(plain_sentence(evidence.sentence)).rstrip("。")
    said = comparable(answer).rstrip("。")
    share = min(len(said) / len(sentence), 1.0) if sentence else 0.0
    wanted = _bigrams(answer)
    number = has_new_number(question.stated_numbers, answer)
    counter = question.counter
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    own = next((h.dense_score for h in hits if h.chunk.id == evidence.chunk_id and h.dense_score is not None), None)
    margin = evidence.score - ranked[1].score if len(ranked) > 1 else MAX_MARGIN
    bm25 = {h.chunk.id: h.bm25_score for h in hits if h.bm25_score is not None}
    stripped = answer.strip()
    return {
        "score": evidence.score,
        "similarity": evidence.similarity,
        "coverage": evidence.coverage,
        "margin": round(min(margin, MAX_MARGIN), 4),
        "evidence_rank": float(evidence.rank),
        "best_similarity": round(max(dense, default=0.0), 4),
        "chunk_similarity": round(own if own is not None else 0.0, 4),
        "english": float(question.language == "en"),
        "wants_number": float(question.wants_number),
        "number_found": float(question.wants_number and number),
        "number_missing": float(question.wants_number and not number),
        "counter_found": float(bool(counter) and has_counted_number(answer, counter)),
        "answer_chars": round(math.log1p(len(said)), 4),
        "sentence_chars": round(math.log1p(len(sentence)), 4),
        "answer_share": round(share, 4),
        "whole_sentence": float(share >= 0.9),
        "first_candidate": float(bool(candidates) and said == comparable(candidates[0]).rstrip("。")),
        "question_echo": round(len(wanted & _bigrams(question.text)) / len(wanted), 4) if wanted else 0.0,
        "table_row": float(evidence.sentence.lstrip().startswith("|")),
        "names": float(bool(question.names)),
        "dense_first": float(own is not None and own >= max(dense)),
        "bm25_first": float(bool(bm25) and bm25.get(evidence.chunk_id, -1.0) >= max(bm25.values())),
        "starts_kana": float(bool(_KANA.match(stripped[:1]))),
        "ends_kana": float(bool(_KANA.match(stripped[-1:]))),
        "pointing": float(bool(_POINTING.match(stripped))),
        "dangling": float(bool(_DANGLING.search(stripped))),
        "cut_word": float(cut_inside_a_word(stripped, plain_sentence(evidence.sentence))),
        "latin": round(sum(c.isascii() and c.isalnum() for c in said) / len(said), 4) if said else 0.0,
        "candidates": round(math.log1p(len(answer_candidates(question, evidence.sentence))), 4),
    }


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic regression on raw feature values: P(right) = 1 / (1 + exp(-(intercept + Σ weight × feature)))."""

    intercept: float
    weights: tuple[tuple[str, float], ...]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.weights)

    def probability(self, features: Mapping[str, float]) -> float | None:
        """The probability that the answer is right; None when a feature the model needs is missing."""
        if any(name not in features for name in self.features):
            return None
        z = self.intercept + sum(weight * float(features[name]) for name, weight in self.weights)
        return round(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))), 4)


# Fitted on the 151 answers (83 right) that the default pipeline gave to the dev splits: eval/gold/dev.jsonl,
# dev_en.jsonl, dev_unans.jsonl and dev2.jsonl over the bundled notes, eval/corpora/manpages/gold/dev.jsonl,
# dev_unans.jsonl and dev2.jsonl over the man pages (an answer to an unanswerable question is wrong); abstentions have
# no confidence. Refit after a change to the answer step (README, "Confidence"):
#   python -m eval.calibrate --answers DEV_ANSWERS --gold eval/gold/dev.jsonl [--answers … --gold …] --write
# Only signals that point the same way in every dev split are used: the evidence sentence's score and its lead over
# the next sentence (the right sentence was found), a dangling clause and a cut word (the span stops in the wrong place).
CONFIDENCE = ConfidenceModel(
    intercept=-7.4863,
    weights=(
        ("score", 7.7327),
        ("margin", 6.2633),
        ("dangling", -2.0745),
        ("cut_word", -3.3939),
    ),
)
