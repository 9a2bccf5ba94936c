"""How an answer is generated: copied from the chosen evidence under a span constraint (grounded), or free."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from corpus.chunking import HEADING_SEPARATOR
from corpus.text import CLAUSE_MARKS, HIRAGANA, PARTICLES, TRAILING_CONNECTIVES, WORD_CHARS, word_boundaries

from assistant.config import GenerationParams
from assistant.answer.spans import DATE, answer_candidates, definition_term, heading_term, plain_sentence
from assistant.answer.words import counted_numbers
from assistant.generators.base import SpanConstraint
from assistant.answer.question import Question
from assistant.answer.prompt import ANSWER_CLOSE, ANSWER_OPEN, build_prompt, build_span_prompt
from assistant.answer.evidence import Evidence

# How many candidate stretches of the evidence sentence the model may copy from. On dev, letting Gemma-270M choose
# among 2-5 candidates lost 5 F1 to taking the first one; with one, the model decides where the answer stops.
CANDIDATES = 1
# Stop pieces that a base model produces when it starts a new turn or a new passage.
FREE_STOPS = ("\n", "質問:", "Question:", "<資料>", "<data>")
# A grounded answer ends where the model closes the quote (or at a line end).
GROUNDED_STOPS = (ANSWER_CLOSE, "\n")


@dataclass(frozen=True)
class GenerationPlan:
    """One generator call: prompt, settings, and for a grounded answer the span constraint, its candidates and the quote."""

    prompt: str
    params: GenerationParams
    constraint: SpanConstraint | None = None
    candidates: tuple[str, ...] = ()
    opening: str = ""
    whole: bool = False  # the answer is the whole candidate the model starts copying (a definition, a description)

    @property
    def settled(self) -> str | None:
        """The answer when it cannot depend on what the model writes, else None.

        A whole answer with one candidate is that candidate wherever the model starts or stops in it (SpanFinisher),
        and the span constraint keeps the model inside it: running the model would only cost time (a third of the
        dev set's grounded answers, most of them long definitions).
        """
        return self.candidates[0] if self.whole and len(self.candidates) == 1 else None


def _with_stops(params: GenerationParams, stops: Sequence[str]) -> GenerationParams:
    return params.with_overrides(stop=tuple(dict.fromkeys((*params.stop, *stops))))


def grounded_plan(question: Question, evidence: Evidence, params: GenerationParams, candidates: int = CANDIDATES) -> GenerationPlan:
    """Copy a span of the evidence sentence: the model writes 「, then one of the candidate stretches (or its start).

    Each source is 「 + candidate + 」, so after 「 only a candidate's first character is allowed: the model picks
    the candidate (when there are several) and where to stop; temperature, top-k and top-p act on those allowed
    tokens only.
    """
    sentence = plain_sentence(evidence.sentence)
    # the definition list's term, else a heading that names the sentence's subject
    term = definition_term(evidence.chunk.text, evidence.sentence) or heading_term(question, evidence.heading_path)
    found = answer_candidates(question, evidence.sentence, term)[:candidates] or (sentence.rstrip("。"),)
    sources = tuple(f"{ANSWER_OPEN}{c}{ANSWER_CLOSE}" for c in found)
    heading = evidence.heading_path.rsplit(HEADING_SEPARATOR, 1)[-1]
    # An amount in the asked unit is answered whole (「165問」, 「7年程度」), wherever the model stops inside it.
    amounts = counted_numbers(question.stated_numbers, evidence.sentence, question.counter) if question.counter else []
    whole = (question.wants_phrase or question.asked == "yesno" or bool(amounts and found[0] == amounts[0])
             or bool(question.wants_date and DATE.fullmatch(found[0]))  # a date too (「March 19, 2015」, not 「2015」)
             or found[0] == term)  # and a definition term (「no-reload」, not 「no」)
    return GenerationPlan(build_span_prompt(question.text, heading, sentence, question.language), _with_stops(params, GROUNDED_STOPS),
                          SpanConstraint(sources), found, ANSWER_OPEN, whole=whole)


def free_plan(question: Question, passages: Sequence[str], params: GenerationParams) -> GenerationPlan:
    """Free generation over the retrieved passages (grounding off, e.g. for a larger model)."""
    return GenerationPlan(build_prompt(question.text, passages, lang=question.language), _with_stops(params, FREE_STOPS))


# Characters that may not end an answer: particles and punctuation wait until a word follows them.
_DANGLING = re.compile(rf"[{HIRAGANA}{CLAUSE_MARKS},.()（）\s]+$")
# A name in Latin letters runs on across single spaces (「Real World Knowledge」): an early stop inside it is extended.
_LATIN_RUN = re.compile(r"(?: [A-Za-z0-9][A-Za-z0-9.\-]*)+")
_WORD_CHAR = re.compile(f"[{WORD_CHARS}]")
_PARTICLE_TAIL = re.compile(rf"(?:[{PARTICLES}{CLAUSE_MARKS},\s(（]|{'|'.join(TRAILING_CONNECTIVES)})+$")


class SpanFinisher:
    """Streams a copied answer so that it starts at a candidate and never ends inside a word or on a particle.

    The model writes 「 then copies a candidate, and may stop early. Text after 「 streams as it comes, except a
    trailing run of kana or punctuation, which waits for the next word. At the end, an answer cut inside a word
    is completed to the word's end (「Kno」 → 「Knouledge」, and a Latin name to its last word), and a dangling
    particle is dropped (「165問と」 → 「165問」).
    If the model skipped 「 or wrote nothing, the answer falls back to the first candidate, snapped to whole words.
    """

    def __init__(self, candidates: Sequence[str], opening: str = ANSWER_OPEN, whole: bool = False) -> None:
        self.candidates = tuple(candidates)
        self.opening = opening
        self.whole = whole
        self.raw = ""
        self.emitted = ""
        self.opened: bool | None = None  # None until the first non-space character arrives

    def feed(self, piece: str) -> str:
        """The part of the answer that can be shown now."""
        self.raw += piece
        if self.opened is None:
            head = self.raw.lstrip()
            if not head or (len(head) < len(self.opening) and self.opening.startswith(head)):
                return ""
            self.opened = head.startswith(self.opening)
        if not self.opened:
            return ""  # held: the model started inside a candidate; finish() decides
        body = self.raw.lstrip()[len(self.opening):]
        safe = _DANGLING.sub("", body)
        return self._emit(safe)

    def finish(self) -> str:
        """The rest of the answer once the model has stopped."""
        body = self.raw.strip()
        if self.opened:
            body = body[len(self.opening):]
        answer = self._snapped(body, anchored=bool(self.opened))
        return self._emit(answer)

    def _emit(self, text: str) -> str:
        if not text.startswith(self.emitted) or len(text) <= len(self.emitted):
            return ""
        new, self.emitted = text[len(self.emitted):], text
        return new

    def _snapped(self, body: str, anchored: bool) -> str:
        source = next((c for c in self.candidates if c.startswith(body)), None) if body and anchored else None
        anchored = source is not None
        if body and source is None:
            source = next((c for c in self.candidates if body in c), None)
        if source is None:
            return self.candidates[0] if self.candidates and not self.emitted else self.emitted
        start = 0 if anchored else source.index(body)
        if self.whole:
            return source  # a whole-clause answer: where the model stopped early does not matter
        bounds = word_boundaries(source)
        start = max(b for b in bounds if b <= start)
        end = min(b for b in bounds if b >= start + len(body))
        if end > start and source[end - 1].isascii() and source[end - 1].isalnum() and (run := _LATIN_RUN.match(source, end)):
            end = run.end()
        answer = _PARTICLE_TAIL.sub("", source[start:end]) or source[start:end]
        # A stop after a lone kana (「し」 of 「したデータから」) leaves no word at all: keep the whole candidate.
        return answer if _WORD_CHAR.search(answer) else source


def answer_pieces(pieces: Iterator[str], plan: GenerationPlan) -> Iterator[str]:
    """The model's pieces as the user should see them: finished by SpanFinisher for a grounded plan."""
    if not plan.candidates:
        yield from pieces
        return
    finisher = SpanFinisher(plan.candidates, plan.opening, plan.whole)
    for piece in pieces:
        if shown := finisher.feed(piece):
            yield shown
    if rest := finisher.finish():
        yield rest
