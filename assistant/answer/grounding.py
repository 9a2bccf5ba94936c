"""Which sentences of the retrieved notes support an answer, and how well (groundedness)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.chunking import units
from corpus.text import comparable
from index.retriever import Hit

# An answer whose character bigrams are at least this much covered by the notes counts as grounded.
GROUNDED_FROM = 0.6


@dataclass(frozen=True)
class Support:
    """One sentence (or table row, or list item) of a retrieved chunk, with its overlap with the answer."""

    chunk_id: str
    rank: int
    sentence: str
    overlap: float


def bigrams(text: str) -> set[str]:
    """Character bigrams of the normalised text; a one-character text is its own single "bigram"."""
    text = comparable(text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _grams_of_source(text: str) -> set[str]:
    """Bigrams and single characters, so that a one-character answer can be found in a source too."""
    text = comparable(text)
    return {text[i : i + 2] for i in range(len(text) - 1)} | set(text)


def supporting_sentences(answer: str, hits: Sequence[Hit], limit: int = 3, prefer: str | None = None) -> tuple[Support, ...]:
    """The sentences of `hits` that share the most of the answer's character bigrams, best first.

    Among equally good sentences, `prefer` (the sentence the answer was copied from) comes first, then retrieval rank.
    """
    wanted = bigrams(answer)
    if not wanted:
        return ()
    scored = []
    for hit in hits:
        for sentence in units(hit.chunk.text):
            overlap = len(wanted & _grams_of_source(sentence)) / len(wanted)
            if overlap > 0:
                scored.append(Support(hit.chunk.id, hit.rank, sentence, round(overlap, 4)))
    scored.sort(key=lambda s: (-s.overlap, s.sentence != prefer, s.rank))
    return tuple(scored[:limit])


def groundedness(answer: str, hits: Sequence[Hit]) -> float:
    """The share of the answer's character bigrams found in the retrieved text (1.0 = fully copied from the notes)."""
    wanted = bigrams(answer)
    if not wanted:
        return 0.0
    available = set().union(*(_grams_of_source(h.chunk.text) for h in hits)) if hits else set()
    return round(len(wanted & available) / len(wanted), 4)
