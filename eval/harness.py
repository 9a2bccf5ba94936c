"""Score a gold set: retrieval from the retriever's own top 10, answers from a batch output file."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from corpus.chunking import Chunk
from corpus.errors import InputError

from assistant.jsonl import read_json_lines

from eval.evidence import EvidenceMatcher
from eval.gold import ANSWER_TYPES, GoldItem, answer_type_of, evidence_problems
from eval.metrics import (
    RETRIEVAL_DEPTH,
    AbstentionScores,
    Accuracy,
    Bleu,
    CharF1,
    Chrf,
    ConfidenceScores,
    ExactMatch,
    RetrievalScores,
    abstention_scores,
    confidence_scores,
    first_relevant_rank,
    retrieval_scores,
)

EXCERPT_CHARS = 160
# The answer breakdown's groups: each answer type, then English questions (also counted under their answer
# type), then unanswerable questions (abstention only).
ENGLISH, UNANSWERABLE = "english", "unanswerable"
QUESTION_TYPES = (*ANSWER_TYPES, ENGLISH, UNANSWERABLE)
_SHOWN_IDS = 10


def warn_on_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _name_ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else "")


class SearchesChunks(Protocol):
    """What the harness needs from a retriever (index.retriever.Retriever, or a fake in tests)."""

    def search(self, query: str, k: int, mode: Any) -> list: ...


@dataclass(frozen=True)
class TypeScores:
    """One group of the breakdown by question type: means of the per-question scores, and the share abstained.

    For an answer type or English, `n` counts its answerable questions that have an answer and
    `abstention_rate` is their false-abstention rate; for unanswerable, `n` counts the answered unanswerable
    questions, the answer figures are None and `abstention_rate` is the share rightly abstained.
    """

    n: int
    accuracy: float | None
    exact_match: float | None
    f1: float | None
    abstention_rate: float | None

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "exact_match": self.exact_match,
            "f1": self.f1,
            "abstention_rate": self.abstention_rate,
        }


@dataclass(frozen=True)
class AnswerScores:
    """Answer metrics over the answerable questions that have an answer; abstention over all answered ones."""

    n: int
    f1: float | None
    exact_match: float | None
    bleu: float | None
    chrf: float | None
    abstention: AbstentionScores
    accuracy: float | None = None
    by_type: dict[str, TypeScores] = field(default_factory=dict)
    confidence: ConfidenceScores | None = None  # None when no answer carries a confidence

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "f1": self.f1,
            "exact_match": self.exact_match,
            "accuracy": self.accuracy,
            "bleu": self.bleu,
            "chrf": self.chrf,
            "abstention": self.abstention.as_dict(),
            "by_type": {name: scores.as_dict() for name, scores in self.by_type.items()},
            "confidence": self.confidence.as_dict() if self.confidence else None,
        }


@dataclass(frozen=True)
class Report:
    """One evaluation run. `to_dict()` is report.json; `answers` is None (null) for a retrieval-only run."""

    answers: AnswerScores | None
    retrieval: RetrievalScores | None
    config: dict = field(default_factory=dict)
    per_question: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        return {
            "answers": self.answers.as_dict() if self.answers else None,
            "retrieval": self.retrieval.as_dict() if self.retrieval else None,
            "config": self.config,
            "per_question": list(self.per_question),
        }

    def recall_curve(self) -> list[float]:
        """recall@k for k = 1..10 (empty without retrieval)."""
        if not self.retrieval:
            return []
        return [self.retrieval.means[f"recall@{k}"] for k in range(1, RETRIEVAL_DEPTH + 1)]


# --- answers files ------------------------------------------------------------------------------------


def parse_answer_record(data: Any, where: str) -> dict:
    """A batch output object checked for what scoring needs: `id`, a string `answer`, a boolean `abstained`."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if "id" not in data:
        raise InputError(f"{where}: missing `id`")
    answer = data.get("answer")
    if answer is None and not data.get("abstained"):
        raise InputError(f"{where}: missing `answer`")
    if answer is not None and not isinstance(answer, str):
        raise InputError(f"{where}: `answer` must be a string, got {answer!r}")
    abstained = data.get("abstained", False)
    if not isinstance(abstained, bool):
        raise InputError(f"{where}: `abstained` must be true or false, got {abstained!r}")
    sources = data.get("sources") or []
    if not isinstance(sources, list):
        raise InputError(f"{where}: `sources` must be a list, got {type(sources).__name__}")
    return {**data, "id": str(data["id"]).strip(), "answer": answer or "", "abstained": abstained, "sources": sources}


def load_answers(path: Path | str, warn: Callable[[str], None] = warn_on_stderr) -> dict[str, dict]:
    """Batch output JSONL as {id: record}. For an id answered twice (a resumed run) the last line wins."""
    path = Path(path)
    records: dict[str, dict] = {}
    counts: Counter[str] = Counter()
    for line in read_json_lines(path, "answers file", "give the JSONL file that `batch` wrote"):
        where = f"{path} line {line.number}"
        if line.error:
            raise InputError(f"{where} is {line.error}")
        record = parse_answer_record(line.value, where)
        records[record["id"]] = record
        counts[record["id"]] += 1
    if not records:
        raise InputError(f"answers file {path} has no answers")
    repeated = sorted(i for i, c in counts.items() if c > 1)
    if repeated:
        warn(f"{path} answers these ids more than once; the last answer counts: {_name_ids(repeated)}")
    return records


def match_answers(
    items: Sequence[GoldItem], answers: Mapping[str, dict], warn: Callable[[str], None] = warn_on_stderr
) -> dict[str, dict]:
    """The answers whose ids are in the gold set. InputError when none are; a warning names the strays."""
    gold_ids = {item.id for item in items}
    strays = [i for i in answers if i not in gold_ids]
    matched = {i: parse_answer_record(r, f"answer {i}") for i, r in answers.items() if i in gold_ids}
    if not matched:
        raise InputError(
            f"none of the {len(answers)} ids in the answers ({_name_ids(list(answers))}) is in the gold set "
            f"({_name_ids([item.id for item in items])}); nothing to score. Was the batch run on this gold file?"
        )
    if strays:
        warn(f"{len(strays)} answer ids are not in the gold set and are ignored: {_name_ids(strays)}")
    unanswered = [item.id for item in items if item.id not in matched]
    if unanswered:
        warn(f"{len(unanswered)} gold questions have no answer and are left out of the answer scores: {_name_ids(unanswered)}")
    return matched


# --- evaluation ---------------------------------------------------------------------------------------


def _question_record(item: GoldItem) -> dict:
    return {
        "id": item.id,
        "question": item.question,
        "lang": item.lang,
        "kind": item.kind,
        "topic": item.topic,
        "answerable": item.answerable,
        "answer_type": answer_type_of(item),
        "gold_answers": list(item.answers),
        "relevant_chunks": [],
        "first_relevant_rank": None,
        "rr": None,
        "ndcg@10": None,
        "retrieved": [],
        "answer": None,
        "abstained": None,
        "cited": [],
        "f1": None,
        "exact_match": None,
        "accuracy": None,
        "bleu": None,
        "chrf": None,
        "confidence": None,
    }


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def _score_retrieval(
    items: Sequence[GoldItem],
    retriever: SearchesChunks,
    chunks: Sequence[Chunk],
    mode: Any,
    records: dict[str, dict],
    warn: Callable[[str], None],
) -> tuple[RetrievalScores, dict]:
    matcher = EvidenceMatcher(chunks)
    problems = evidence_problems(items, matcher)
    if problems:
        warn(f"evidence spans not found in any chunk (those spans cannot count as hits): {_name_ids(problems)}")
    rankings: dict[str, list[str]] = {}
    relevant: dict[str, set[str]] = {}
    started = time.perf_counter()
    for item in items:
        hits = retriever.search(item.question, RETRIEVAL_DEPTH, mode)
        rankings[item.id] = [hit.chunk.id for hit in hits]
        wanted = matcher.relevant_ids(item.evidence) if item.answerable else set()
        if item.answerable:
            relevant[item.id] = wanted
        record = records[item.id]
        record["relevant_chunks"] = sorted(wanted)
        record["retrieved"] = [
            {
                "rank": hit.rank,
                "chunk_id": hit.chunk.id,
                "heading_path": hit.chunk.heading_path,
                "relevant": hit.chunk.id in wanted,
                "score": round(float(hit.score), 6),
                "excerpt": _excerpt(hit.chunk.text),
            }
            for hit in hits
        ]
    elapsed_ms = (time.perf_counter() - started) * 1000
    scores = retrieval_scores(rankings, relevant, extra_cutoffs=range(1, RETRIEVAL_DEPTH + 1))
    for qid, wanted in relevant.items():
        record = records[qid]
        record["first_relevant_rank"] = first_relevant_rank(rankings[qid], wanted)
        record["rr"] = scores.per_query[qid][f"mrr@{RETRIEVAL_DEPTH}"]
        record["ndcg@10"] = scores.per_query[qid][f"ndcg@{RETRIEVAL_DEPTH}"]
    unscorable = [qid for qid, wanted in relevant.items() if not wanted]
    facts = {
        "retrieval_ms_mean": round(elapsed_ms / max(len(items), 1), 2),
        "retrieval_unscorable": unscorable,
    }
    return scores, facts


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _question_types(item: GoldItem) -> tuple[str, ...]:
    """The breakdown groups `item` counts in: its answer type, plus English when it is an answerable English question."""
    if not item.answerable:
        return (UNANSWERABLE,)
    groups = (answer_type_of(item) or "phrase",)
    return groups + (ENGLISH,) if item.lang == "en" else groups


def scores_by_type(items: Sequence[GoldItem], records: Mapping[str, dict]) -> dict[str, TypeScores]:
    """The breakdown by question type over the answered items, every type in QUESTION_TYPES order (n 0 when empty)."""
    groups: dict[str, list[dict]] = {name: [] for name in QUESTION_TYPES}
    for item in items:
        record = records[item.id]
        if record["abstained"] is None:  # no answer to score
            continue
        for name in _question_types(item):
            groups[name].append(record)
    by_type = {}
    for name, group in groups.items():
        answered = name != UNANSWERABLE
        by_type[name] = TypeScores(
            n=len(group),
            accuracy=_mean([q["accuracy"] for q in group]) if answered else None,
            exact_match=_mean([q["exact_match"] for q in group]) if answered else None,
            f1=_mean([q["f1"] for q in group]) if answered else None,
            abstention_rate=_mean([1.0 if q["abstained"] else 0.0 for q in group]),
        )
    return by_type


def answer_confidence(answer: Mapping[str, Any]) -> float | None:
    """The answer's `confidence` when it is a number in 0–1 and the answer was not an abstention, else None."""
    value = answer.get("confidence")
    if answer.get("abstained") or isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return None
    return float(value)


def answer_is_right(record: Mapping[str, Any]) -> bool:
    """Strictly right (per-question accuracy 100); an answer given to an unanswerable question is wrong."""
    return bool(record["answerable"]) and record["accuracy"] == 100.0


def score_confidence(records: Sequence[Mapping[str, Any]], threshold: float | None = None) -> ConfidenceScores | None:
    """How well the per-question records' `confidence` predicts strict accuracy, over the answers that carry one
    (abstentions have none); None when no answer does. `threshold` defaults to the UI's "likely right" line."""
    if threshold is None:
        from assistant.answer.confidence import LIKELY_RIGHT_FROM

        threshold = LIKELY_RIGHT_FROM
    scored = [r for r in records if r["confidence"] is not None and not r["abstained"]]
    if not scored:
        return None
    return confidence_scores([r["confidence"] for r in scored], [answer_is_right(r) for r in scored], threshold)


def _score_answers(items: Sequence[GoldItem], matched: dict[str, dict], records: dict[str, dict]) -> tuple[AnswerScores, dict]:
    f1, em, accuracy, bleu, chrf = CharF1(), ExactMatch(), Accuracy(), Bleu(), Chrf()
    scored = [item for item in items if item.id in matched]
    hypotheses: list[str] = []
    references: list[tuple[str, ...]] = []
    for item in scored:
        answer = matched[item.id]
        record = records[item.id]
        record["answer"] = answer["answer"]
        record["abstained"] = answer["abstained"]
        record["cited"] = [s.get("chunk_id") for s in answer["sources"] if isinstance(s, dict)]
        record["confidence"] = answer_confidence(answer)
        if not item.answerable:
            continue
        # An abstention's canned message is not an answer: it scores as the empty string.
        hypothesis = "" if answer["abstained"] else answer["answer"]
        hypotheses.append(hypothesis)
        references.append(item.answers)
        record["f1"] = f1.sentence_score(hypothesis, item.answers)
        record["exact_match"] = em.sentence_score(hypothesis, item.answers)
        record["accuracy"] = accuracy.sentence_score(hypothesis, item.answers)
        record["bleu"] = bleu.sentence_score(hypothesis, item.answers)
        record["chrf"] = chrf.sentence_score(hypothesis, item.answers)
    n = len(hypotheses)
    abstention = abstention_scores([matched[i.id]["abstained"] for i in scored], [i.answerable for i in scored])
    scores = AnswerScores(
        n=n,
        f1=f1.corpus_score(hypotheses, references) if n else None,
        exact_match=em.corpus_score(hypotheses, references) if n else None,
        bleu=bleu.corpus_score(hypotheses, references) if n else None,
        chrf=chrf.corpus_score(hypotheses, references) if n else None,
        abstention=abstention,
        accuracy=accuracy.corpus_score(hypotheses, references) if n else None,
        by_type=scores_by_type(scored, records),
        confidence=score_confidence([records[i.id] for i in scored]),
    )
    params = [json.dumps(matched[i.id].get("params"), sort_keys=True) for i in scored if matched[i.id].get("params")]
    facts = {
        "answers_scored": len(scored),
        "bleu_signature": bleu.signature() if n else None,
        "chrf_signature": chrf.signature() if n else None,
        "generation": json.loads(params[0]) if params and len(set(params)) == 1 else ("mixed" if params else None),
    }
    return scores, facts


def evaluate(
    gold_items: Sequence[GoldItem],
    retriever: SearchesChunks | None,
    answers: Mapping[str, dict] | None,
    retrieval_only: bool = False,
    *,
    mode: Any = None,
    chunks: Sequence[Chunk] | None = None,
    config: Mapping[str, Any] | None = None,
    warn: Callable[[str], None] = warn_on_stderr,
) -> Report:
    """Score `gold_items`: retrieval by running `retriever` (top 10) on each question, answers from `answers`.

    `answers` maps ids to batch output records. Retrieval is scored over answerable items (a question is hit
    at k when a chunk holding one of its evidence spans is in the top k); answer F1, EM, strict accuracy, BLEU
    and chrF over answerable items that have an answer, also broken down by question type; abstention over
    every answered item. `chunks` defaults to
    `retriever.index.chunks` and is needed to know every relevant chunk. `mode` is the retriever mode
    (default: the retriever's default). A retrieval-only run, or one without a retriever, leaves the other
    part None.
    """
    if not gold_items:
        raise InputError("the gold set is empty; nothing to score")
    if not retrieval_only and answers is None:
        raise InputError("no answers to score: pass an answers file, or ask for a retrieval-only run")
    if retrieval_only and retriever is None:
        raise InputError("a retrieval-only run needs a retriever")
    records = {item.id: _question_record(item) for item in gold_items}
    run_config: dict[str, Any] = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "retrieval_only": retrieval_only,
        "n_gold": len(gold_items),
        "n_answerable": sum(1 for item in gold_items if item.answerable),
        "k": RETRIEVAL_DEPTH,
        "hit_rule": "a chunk is relevant when it holds an evidence span (its text or own heading, NFKC, "
        "whitespace and | # * ` removed); recall@k = share of answerable questions with a relevant chunk in the top k",
        "unanswerable_rule": "unanswerable items are left out of F1/EM/BLEU/chrF and retrieval; they count only in abstention",
        "abstained_answer_rule": "an abstention on an answerable item scores as an empty answer",
    }
    retrieval = None
    if retriever is not None:
        if chunks is None:
            chunks = retriever.index.chunks  # type: ignore[attr-defined]
        search_mode = mode if mode is not None else _default_mode()
        retrieval, facts = _score_retrieval(gold_items, retriever, chunks, search_mode, records, warn)
        run_config["retriever"] = getattr(search_mode, "value", search_mode)
        manifest = getattr(getattr(retriever, "index", None), "manifest", None)
        if manifest is not None:
            run_config["embedder"] = manifest.embedder
            run_config["chunker"] = manifest.chunker
            run_config["chunk_count"] = manifest.chunk_count
        run_config.update(facts)
    answer_scores = None
    if not retrieval_only:
        assert answers is not None
        matched = match_answers(gold_items, answers, warn)
        answer_scores, facts = _score_answers(gold_items, matched, records)
        run_config.update(facts)
    run_config.update(config or {})
    return Report(answer_scores, retrieval, run_config, tuple(records[item.id] for item in gold_items))


def _default_mode():
    from assistant.config import DEFAULT_RETRIEVER

    return DEFAULT_RETRIEVER
