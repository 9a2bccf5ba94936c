"""The RAG pipeline: retrieve passages, decide whether the notes hold an answer, generate it, return it with sources."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from corpus.text import language
from index.retriever import Hit, Retriever

from assistant.answer.abstention import ABSTAIN_BELOW, DEFAULT_RULE, AbstentionRule, counted_instead, reason_to_abstain
from assistant.answer.confidence import CONFIDENCE, confidence_features
from assistant.answer.prompt import ABSTENTION
from assistant.answer.followup import FollowUpResolver, Turn
from assistant.answer.question import Question
from assistant.answer.plan import GenerationPlan, answer_pieces, free_plan, grounded_plan
from assistant.config import DEFAULT_GENERATION, GenerationParams, RetrievalParams, validate_question
from assistant.generators.base import GenerationStream, Generator
from assistant.answer.grounding import GROUNDED_FROM, Support, groundedness, supporting_sentences
from assistant.answer.words import NotesVocabulary
from assistant.answer.evidence import Evidence, EvidenceSelector, evidence_first

# How deep to look for a named note's chunks when retrieved passages after the first come from other notes.
NAMED_NOTE_DEPTH = 30


@dataclass(frozen=True)
class Timings:
    retrieval_ms: float
    first_token_ms: float | None
    generation_ms: float
    new_tokens: int

    @property
    def tokens_per_s(self) -> float | None:
        return round(self.new_tokens / (self.generation_ms / 1000), 2) if self.generation_ms > 0 and self.new_tokens else None

    def as_dict(self) -> dict:
        return {
            "retrieval_ms": round(self.retrieval_ms, 1),
            "first_token_ms": None if self.first_token_ms is None else round(self.first_token_ms, 1),
            "generation_ms": round(self.generation_ms, 1),
            "new_tokens": self.new_tokens,
            "tokens_per_s": self.tokens_per_s,
        }


@dataclass(frozen=True)
class Answer:
    """What the assistant answered, from which chunks, and how long it took."""

    question: str
    text: str
    hits: tuple[Hit, ...]
    abstained: bool
    timings: Timings
    params: dict = field(default_factory=dict)
    support: tuple[Support, ...] = ()
    groundedness: float | None = None
    abstain_reason: str | None = None
    resolved_question: str | None = None  # the question as understood against the conversation (None: as asked)
    confidence: float | None = None  # the probability that the answer is right (None when abstaining)
    confidence_features: dict = field(default_factory=dict)  # the signals it was computed from

    @property
    def grounded(self) -> bool | None:
        """None when abstaining; else whether the notes support the answer."""
        return None if self.abstained or self.groundedness is None else self.groundedness >= GROUNDED_FROM

    def as_record(self, question_id: str | None = None) -> dict:
        """One batch output line (DESIGN contract); `ask --json` prints the same shape."""
        record = {"id": question_id} if question_id is not None else {}
        record.update(
            question=self.question,
            answer=self.text,
            abstained=self.abstained,
            sources=[h.as_dict() for h in self.hits],
            params=self.params,
            timings=self.timings.as_dict(),
            grounded=self.grounded,
            groundedness=self.groundedness,
            support=[{"chunk_id": s.chunk_id, "rank": s.rank, "sentence": s.sentence, "overlap": s.overlap} for s in self.support],
            abstain_reason=self.abstain_reason,
            resolved_question=self.resolved_question or self.question,
            confidence=None if self.abstained else self.confidence,
            confidence_features=self.confidence_features,
        )
        return record


class AnswerStream:
    """Iterate to receive the answer's text pieces; `answer` is set once the iteration ends."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        self.answer = yield from self._pieces


def best_similarity(hits: tuple[Hit, ...]) -> float:
    return max((h.dense_score for h in hits if h.dense_score is not None), default=0.0)


class Pipeline:
    """Retriever + generator with default settings; each call may override them.

    With `grounding` (the default) the answer is copied from the best sentence of the retrieved chunks under a
    span constraint; without it the model writes freely from the passages. `abstain_below` is the similarity
    floor of the abstention rule; 0 switches abstention off altogether.
    """

    def __init__(
        self,
        retriever: Retriever,
        generator: Generator,
        generation: GenerationParams = DEFAULT_GENERATION,
        retrieval: RetrievalParams = RetrievalParams(),
        abstain_below: float = ABSTAIN_BELOW,
        grounding: bool = True,
        abstention: AbstentionRule = DEFAULT_RULE,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.generation = generation
        self.retrieval = retrieval
        self.abstain_below = abstain_below
        self.grounding = grounding
        self.abstention = abstention
        self._selector: EvidenceSelector | None = None
        self._resolver: FollowUpResolver | None = None

    @property
    def selector(self) -> EvidenceSelector:
        """Built on first use, with the word weights stored in the index (an index without them: counted now)."""
        if self._selector is None:
            index = self.retriever.index
            vocabulary = NotesVocabulary.build(index.chunks, lexicon=index.lexicon, text=index.notes_text)
            self._selector = EvidenceSelector(self.retriever.embedder, vocabulary, stored=index.sentences)
        return self._selector

    @property
    def resolver(self) -> FollowUpResolver:
        if self._resolver is None:
            self._resolver = FollowUpResolver(self.retriever.index.chunks)
        return self._resolver

    def with_generation(self, generation: GenerationParams) -> "Pipeline":
        """The same retriever, model and answer settings with other generation defaults (for sweeps)."""
        other = Pipeline(self.retriever, self.generator, generation, self.retrieval, self.abstain_below, self.grounding, self.abstention)
        other._selector, other._resolver = self._selector, self._resolver
        return other

    def retrieve(self, question: str, retrieval: RetrievalParams) -> tuple[Hit, ...]:
        # Every hit carries its similarity to the question (the abstention rule needs one), whatever the mode.
        return tuple(self.retriever.search(question, retrieval.passages, retrieval.retriever))

    def stream(
        self, question: str, generation: GenerationParams | None = None, retrieval: RetrievalParams | None = None,
        history: Sequence[Turn] = (),
    ) -> AnswerStream:
        """Validate, then stream the answer; validation errors raise before the first piece.

        `history` holds the earlier turns of the conversation, oldest first: a follow-up that lacks its subject is
        completed from them (Answer.resolved_question); without history the question is answered as it stands.
        """
        question = validate_question(question)
        understood = self.resolver.resolve(question, history).question if history else question
        return AnswerStream(self._run(question, understood, generation or self.generation, retrieval or self.retrieval))

    def answer(self, question: str, generation: GenerationParams | None = None, retrieval: RetrievalParams | None = None,
               history: Sequence[Turn] = ()) -> Answer:
        stream = self.stream(question, generation, retrieval, history)
        for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    @property
    def _rule(self) -> AbstentionRule:
        """The abstention checks with this pipeline's similarity floor."""
        return replace(self.abstention, similarity_floor=self.abstain_below)

    def _abstention_reason(self, question: Question, hits: tuple[Hit, ...], evidence: Evidence | None) -> str | None:
        if self.abstain_below <= 0:
            return None if hits else "nothing retrieved"
        return reason_to_abstain(question, evidence, best_similarity(hits), self.selector.vocabulary, self._rule)

    def plan(self, question: str, generation: GenerationParams | None = None,
             retrieval: RetrievalParams | None = None) -> GenerationPlan | None:
        """The generator call that answering `question` (standalone) would make; None when the answer abstains.

        The warm-up runs it to put the grounded prompt's shared prefix in the model's cache even when the answer
        itself is settled without the model.
        """
        question = validate_question(question)
        analysed, hits, _, evidence = self._evidence(question, question, retrieval or self.retrieval)
        if self._abstention_reason(analysed, hits, evidence) is not None:
            return None
        return self._plan(analysed, hits, evidence, generation or self.generation)

    def _from_named_notes(self, question: Question, hits: tuple[Hit, ...], retrieval: RetrievalParams) -> tuple[Hit, ...]:
        """`hits`, or, when the question names a note (「ls で…」, "in pipe(7)"), the first hit and that note's best chunks
        among the NAMED_NOTE_DEPTH best in place of the others from other notes, as many passages in all."""
        named = self.selector.vocabulary.named_notes(question.text)
        if not named or len(hits) < 2 or all(h.chunk.source in named for h in hits[1:]):
            return hits
        deeper = self.retriever.search(question.text, max(NAMED_NOTE_DEPTH, len(hits)), retrieval.retriever)
        chosen = [hits[0], *[h for h in deeper if h.chunk.source in named and h.chunk.id != hits[0].chunk.id]]
        if len(chosen) == 1:
            return hits
        chosen = chosen[: len(hits)]
        ids = {h.chunk.id for h in chosen}
        chosen += [h for h in hits[1:] if h.chunk.id not in ids][: len(hits) - len(chosen)]
        return tuple(replace(h, rank=rank) for rank, h in enumerate(chosen, start=1))

    def _evidence(self, text: str, understood: str, retrieval: RetrievalParams):
        """(the question analysed, its hits, their sentences ranked as evidence, the chosen evidence or None)."""
        question = Question.analyse(understood, self.retriever.expander if self.retriever.crosslingual else None)
        if understood != text:  # answer in the language the user asked in, whatever the carried topic is written in
            question = replace(question, language=language(text))
        hits = self._from_named_notes(question, self.retrieve(question.text, retrieval), retrieval)
        ranked = self.selector.select(question, hits) if hits else ()
        evidence = ranked[0] if ranked else None
        if ranked and self.abstain_below > 0:
            # 「何秒」 over a best sentence without seconds: a close one that has them answers instead
            if (counted := counted_instead(question, ranked, best_similarity(hits), self.selector.vocabulary, self._rule)) is not None:
                evidence, ranked = counted, (counted, *(e for e in ranked if e is not counted))  # the answer's sentence first
        return question, hits, ranked, evidence

    def _run(self, text: str, understood: str, generation: GenerationParams, retrieval: RetrievalParams):
        started = time.perf_counter()
        question, hits, ranked, evidence = self._evidence(text, understood, retrieval)
        retrieval_ms = (time.perf_counter() - started) * 1000  # narrowing to the evidence sentence counts as retrieval
        params = {**generation.as_dict(), "passages": retrieval.passages, "retriever": retrieval.retriever.value,
                  "backend": self.generator.name, "grounding": self.grounding, **self.generator.run_params()}
        reason = self._abstention_reason(question, hits, evidence)
        if reason is not None:
            refusal = ABSTENTION[question.language]
            yield refusal
            return Answer(text, refusal, hits, True, Timings(retrieval_ms, None, 0.0, 0), params, abstain_reason=reason,
                          resolved_question=understood)
        plan = self._plan(question, hits, evidence, generation)
        if plan.settled is not None:  # the model could not change this answer: it is not run (no tokens, no time)
            yield plan.settled
            timings = Timings(retrieval_ms, None, 0.0, 0)
            pieces = [plan.settled]
        else:
            gen_started = time.perf_counter()
            first_token_ms = None
            pieces = []
            stream = GenerationStream.wrap(self.generator.stream(plan.prompt, plan.params, plan.constraint))
            for piece in answer_pieces(stream, plan):
                if first_token_ms is None:
                    first_token_ms = (time.perf_counter() - gen_started) * 1000
                pieces.append(piece)
                yield piece
            generation_ms = (time.perf_counter() - gen_started) * 1000
            # Shown pieces are not tokens (the opening quote is hidden); the backend's own count is exact when it has one.
            timings = Timings(retrieval_ms, first_token_ms, generation_ms, stream.usage.new_tokens or len(pieces))
        answer = "".join(pieces).strip()
        refusal = ABSTENTION[question.language]
        if not answer or answer == refusal:
            if not pieces:
                yield refusal
            return Answer(text, refusal, hits, True, timings, params, abstain_reason="the model gave no answer",
                          resolved_question=understood)
        prefer = evidence.sentence if evidence is not None else None
        features = confidence_features(question, ranked, hits, answer, plan.candidates)
        sources = evidence_first(hits, evidence)  # the passage the answer was copied from is listed first
        return Answer(text, answer, sources, False, timings, params, supporting_sentences(answer, sources, prefer=prefer),
                      groundedness(answer, sources), resolved_question=understood,
                      confidence=CONFIDENCE.probability(features) if features else None, confidence_features=features)

    def _plan(self, question: Question, hits: tuple[Hit, ...], evidence: Evidence | None, generation: GenerationParams) -> GenerationPlan:
        if self.grounding and evidence is not None:
            return grounded_plan(question, evidence, generation)
        return free_plan(question, [h.chunk.text for h in hits], generation)


def create_pipeline(
    index_dir: Path | None = None,
    backend: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    generation: GenerationParams = DEFAULT_GENERATION,
    retrieval: RetrievalParams = RetrievalParams(),
    grounding: bool = True,
    slots: int = 1,
) -> Pipeline:
    """A pipeline over `index_dir` with the chosen backend (default: the bundled Gemma on llama.cpp).

    `grounding=False` lets the model write freely instead of copying from the notes (worth it with a larger model).
    `slots`: how many answers the model works on at once (the UI's setting; one for everything else).
    """
    from assistant.generators.registry import DEFAULT_BACKEND, make_generator
    from assistant.retrieval import open_retriever

    retriever = open_retriever(index_dir)
    generator = make_generator(backend or DEFAULT_BACKEND, model, base_url, slots=slots)
    return Pipeline(retriever, generator, generation, retrieval, grounding=grounding)
