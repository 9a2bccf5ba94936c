"""Evidence narrowing: the sentences, table rows and list items of the retrieved chunks, best first for a question."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from corpus.chunking import Chunk, note_name, units
from corpus.text import comparable
from index.embedders import Embedder
from index.sentences import SentenceVectors, TextSentenceVectors
from index.retriever import Hit

from assistant.answer.codes import RARE_CODE_KINDS, code_names
from assistant.answer.question import Question
from assistant.answer.siblings import asked_siblings, item_text
from assistant.answer.spans import DATE, definition_term, is_term_line, names_in, plain_sentence
from assistant.answer.words import NotesVocabulary, has_counted_number, has_new_amount, novelty

# A sentence with fewer new characters than this only echoes the question (a heading, "(MLA-C01)").
MIN_NOVELTY = 2
# Web page furniture copied along with the notes (dates of posting, emoji codes, link captions): never an answer.
PAGE_DEBRIS = re.compile(r"^\s*(Last updated|Posted at|Updated at)\b|^\s*\S{0,12}(引用元|出典)\s*[:：]?\s*$|^\s*:[a-z_]+:\s*$", re.IGNORECASE)
# Sentences that address the assistant rather than record knowledge: notes are data, so these are never evidence.
INSTRUCTION_LIKE = re.compile(
    r"\b(ignore|disregard)\b.{0,30}\binstructions?\b|\bsystem\s*:|\bfrom now on\b|\b(reply|answer)\b.{0,40}\bwith\b"
    r"|指示.{0,15}無視|無視して|システム(への)?(命令|プロンプト)|と(だけ)?(答え|回答し)て|以後の回答",
    re.IGNORECASE,
)
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class SelectionWeights:
    """How the evidence score mixes its signals (`sentence_features`, one weight per feature of that name).

    First tuned by hand on eval/gold/dev.jsonl. coverage and rank were then refit by a coordinate search for the
    share of standalone answerable dev questions whose first sentence holds a gold answer. Fitted on either
    corpus's dev splits alone (bundled notes or man pages), the search picked the same two values, and each gained
    3 on the other corpus (bundled 133 → 136 of 154, man pages 67 → 70 of 125). Other weights, sentence length,
    position and a second embedder (USE) did not gain across corpora."""

    similarity: float = 1.0  # dense cosine, question vs. "heading path: sentence"
    coverage: float = 0.15  # IDF-weighted share of the question's content words in heading + sentence
    rank: float = 0.02  # per retrieval rank below the first
    number: float = 0.05  # the question asks for an amount and the sentence has a new number
    counter: float = 0.1  # ... and that number carries the asked-for unit (何分 → 90分)
    date: float = 0.1  # いつ / when: the sentence has a date
    person: float = 0.1  # 誰 / who: the sentence names someone
    option: float = 0.1  # 「分類モデルと回帰モデルのどちら」: the sentence names one of the choices
    code: float = 0.1  # 「どのシグナル」: the sentence has a name of the asked kind (SIGPIPE)
    sibling: float = 0.1  # 「データドリフトともう1つ」: the list item that the question leaves out
    attribute: float = 0.1  # the heading or the sentence names what the question asks the value of (作者, 試験時間)
    other_note: float = 0.2  # penalty: the question names a note (「date コマンドの…」) and the sentence is from another
    echo: float = 1.0  # penalty: the sentence adds nothing to the question's own words
    debris: float = 1.0  # penalty: page debris, or a definition list's term line (a label)
    instruction: float = 2.0  # penalty: the sentence gives orders instead of facts (prompt injection)

    def score(self, features: Mapping[str, float]) -> float:
        """The weighted sum of a sentence's features (`EvidenceSelector.sentence_features`)."""
        return sum(getattr(self, name) * value for name, value in features.items())


DEFAULT_WEIGHTS = SelectionWeights()


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved chunk, scored as the place where the answer is."""

    chunk: Chunk
    rank: int
    sentence: str
    similarity: float
    coverage: float
    score: float

    @property
    def chunk_id(self) -> str:
        return self.chunk.id

    @property
    def heading_path(self) -> str:
        return self.chunk.heading_path


class EvidenceSelector:
    """Scores the sentences of retrieved chunks. Sentence vectors come from the index (`stored`, embedded when it was
    built) or are embedded on first use and cached, since chunks recur across questions."""

    def __init__(self, embedder: Embedder, vocabulary: NotesVocabulary, weights: SelectionWeights = DEFAULT_WEIGHTS,
                 stored: Mapping[str, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self.vocabulary = vocabulary
        self.weights = weights
        self._stored = stored if isinstance(stored, SentenceVectors) else TextSentenceVectors(stored)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the UI answers several questions at once

    def _sentence_vectors(self, hits: Sequence[Hit]) -> list[np.ndarray]:
        """The vectors of every sentence of `hits`, in order: stored ones from the index (only these chunks' rows are
        read), the rest embedded in one batch and kept in a cache of recent sentences."""
        texts = [t for hit in hits for t in hit.chunk.sentence_texts()]
        stored = [v for hit in hits for v in self._stored.of(hit.chunk)]
        with self._lock:
            missing = list(dict.fromkeys(t for t, v in zip(texts, stored) if v is None and t not in self._vectors))
            if missing:
                for text, vector in zip(missing, self.embedder.embed_passages(missing)):
                    self._vectors[text] = np.asarray(vector, dtype=np.float32)
            for text, vector in zip(texts, stored):
                if vector is None:
                    self._vectors.move_to_end(text)
            found = [v if v is not None else self._vectors[t] for t, v in zip(texts, stored)]
            while len(self._vectors) > max(_CACHE_SIZE, len(texts)):
                self._vectors.popitem(last=False)
        return found

    def select(self, question: Question, hits: Sequence[Hit]) -> tuple[Evidence, ...]:
        """Every sentence of `hits`, best first."""
        found = [(hit, sentence) for hit in hits for sentence in units(hit.chunk.text)]
        if not found:
            return ()
        query = np.asarray(self.embedder.embed_query(question.text), dtype=np.float32)
        vectors = self._sentence_vectors(hits)
        named = self.vocabulary.named_notes(question.text)
        named = named if any(hit.chunk.source in named for hit in hits) else frozenset()
        siblings = {comparable(s) for s in asked_siblings(question.text, [hit.chunk.text for hit in hits])}
        # the words that name the note (hier and 7 of 「hier(7) によると」) tell which note, not which of its sentences
        naming = {comparable(part) for source in named for part in note_name(source).split(".")}
        words = tuple(w for w in question.content_words if comparable(w) not in naming)
        scored = []
        for (hit, sentence), vector in zip(found, vectors):
            features = self.sentence_features(question, hit, sentence, float(vector @ query), named, siblings, words)
            scored.append(Evidence(hit.chunk, hit.rank, sentence, round(features["similarity"], 4),
                                   round(features["coverage"], 4), round(self.weights.score(features), 4)))
        scored.sort(key=lambda e: (-e.score, e.rank))
        return tuple(scored)

    def sentence_features(self, question: Question, hit: Hit, sentence: str, similarity: float,
                          named: frozenset[str], siblings: set[str], words: tuple[str, ...] | None = None) -> dict[str, float]:
        """The signals that `SelectionWeights` mixes into a sentence's score, signed as they count (penalties < 0).
        `named`: the notes the question names (when a hit is from one); `siblings`: the list items it leaves out;
        `words`: the question's words that coverage counts (default: all its content words)."""
        # A definition-list description counts its term's words (「**-k**, **--kill-after**」) as its own; the term
        # line alone is a label, not a statement.
        term = definition_term(hit.chunk.text, sentence) or ""
        counter, plain = question.counter, plain_sentence(sentence)
        amount = question.wants_number and has_new_amount(question.stated_numbers, sentence)
        return {
            "similarity": similarity,
            "coverage": self.vocabulary.lexicon.coverage(question.content_words if words is None else words,
                                                         f"{hit.chunk.heading_path} {term} {sentence}"),
            "rank": -(hit.rank - 1),
            "number": float(amount),
            "counter": float(amount and bool(counter) and has_counted_number(sentence, counter)),
            "date": float(question.wants_date and bool(DATE.search(plain))),
            "person": float(question.wants_person and bool(names_in(question, sentence))),
            "option": float(sum(comparable(o) in comparable(sentence) for o in question.options) == 1),
            "code": float(question.code_kind in RARE_CODE_KINDS and bool(code_names(question.code_kind, question.text, plain))),
            "sibling": float(comparable(item_text(sentence)) in siblings),
            "attribute": float(bool(question.attribute) and names_attribute(question.attribute, f"{hit.chunk.heading_path} {sentence}")),
            "other_note": -float(bool(named) and hit.chunk.source not in named),
            "echo": -float(novelty(question.word_forms, sentence) < MIN_NOVELTY),
            "debris": -float(bool(PAGE_DEBRIS.search(sentence)) or is_term_line(sentence)),
            "instruction": -float(bool(INSTRUCTION_LIKE.search(sentence))),
        }


def names_attribute(attribute: Sequence[str], text: str) -> bool:
    """Does `text` name every word of the asked attribute (作者 of 「date の作者は誰」, 試験 and 時間 of 「試験時間は」)?"""
    text = comparable(text)
    return all(comparable(word) in text for word in attribute)


def evidence_first(hits: Sequence[Hit], evidence: Evidence | None) -> tuple[Hit, ...]:
    """The hits with the chunk the answer was read from first, ranks renumbered: the sources list it before chunks
    that only ranked higher (a cross-lingual question's table row often ranks second or third)."""
    if evidence is None or not hits or hits[0].chunk.id == evidence.chunk_id:
        return tuple(hits)
    ordered = [h for h in hits if h.chunk.id == evidence.chunk_id] + [h for h in hits if h.chunk.id != evidence.chunk_id]
    return tuple(replace(h, rank=rank) for rank, h in enumerate(ordered, start=1))
