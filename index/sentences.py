"""What the answer step reads of an index besides the search structures: sentence vectors and word weights.

Sentence vectors (`Chunk.sentence_texts`, embedded as passages) are stored per chunk: one float32 array memory-mapped
from disk with the sentences of chunk i in rows offsets[i]:offsets[i+1], so an answer reads only the rows of the
chunks it retrieved. Indexes written before this layout kept them in one `sentences.npz` keyed by text; those still
load (the whole file, on first use). Word weights (document frequencies over the notes' sentences) are counted when
the index is built and stored as JSON, and the notes' comparable text as a text file, so that the first answer need
not tokenise or normalise the whole notes folder.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk, units
from corpus.text import comparable, word_tokens


class SentenceVectors(Mapping[str, np.ndarray]):
    """Sentence vectors of an index: `of(chunk)` per chunk, or as a mapping from sentence text (reads them all)."""

    def of(self, chunk: Chunk) -> list[np.ndarray | None]:
        """One entry per `chunk.sentence_texts()`: its vector, or None where the index has none."""
        raise NotImplementedError

    def __bool__(self) -> bool:
        return len(self) > 0


class TextSentenceVectors(SentenceVectors):
    """Vectors keyed by sentence text: in memory, or the legacy `sentences.npz` read whole on first use."""

    def __init__(self, vectors: Mapping[str, np.ndarray] | Callable[[], Mapping[str, np.ndarray]] | None = None) -> None:
        self._source = vectors if callable(vectors) else None
        self._vectors: Mapping[str, np.ndarray] | None = None if callable(vectors) else dict(vectors or {})
        self._lock = threading.Lock()

    def _all(self) -> Mapping[str, np.ndarray]:
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = self._source()
        return self._vectors

    def of(self, chunk: Chunk) -> list[np.ndarray | None]:
        vectors = self._all()
        return [vectors.get(t) for t in chunk.sentence_texts()]

    def __getitem__(self, text: str) -> np.ndarray:
        return self._all()[text]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class ChunkSentenceVectors(SentenceVectors):
    """The per-chunk layout: `vectors` (n sentences × dim) and `offsets` (n chunks + 1), both memory-mapped lazily."""

    def __init__(self, chunks: Sequence[Chunk], vectors_path: Path, offsets_path: Path) -> None:
        self._chunks = chunks
        self._paths = (vectors_path, offsets_path)
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._rows: dict[str, int] | None = None
        self._lock = threading.Lock()

    def _open(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        if self._arrays is None or self._rows is None:
            with self._lock:
                if self._arrays is None:
                    vectors = np.load(self._paths[0], mmap_mode="r", allow_pickle=False)
                    offsets = np.load(self._paths[1], allow_pickle=False)
                    if offsets.shape != (len(self._chunks) + 1,) or int(offsets[-1]) != len(vectors):
                        raise ValueError("sentence vectors do not match the chunks")
                    self._rows = {c.id: row for row, c in enumerate(self._chunks)}
                    self._arrays = (vectors, offsets)
        assert self._arrays is not None and self._rows is not None
        return (*self._arrays, self._rows)

    def of(self, chunk: Chunk) -> list[np.ndarray | None]:
        vectors, offsets, rows = self._open()
        row = rows.get(chunk.id)
        count = len(units(chunk.text))
        if row is None or int(offsets[row + 1] - offsets[row]) != count:
            return [None] * count
        return list(np.array(vectors[offsets[row] : offsets[row + 1]], dtype=np.float32))

    def __bool__(self) -> bool:
        vectors, _, _ = self._open()
        return len(vectors) > 0

    def _texts(self) -> Iterator[tuple[str, np.ndarray]]:
        vectors, offsets, _ = self._open()
        for row, chunk in enumerate(self._chunks):
            yield from zip(chunk.sentence_texts(), np.array(vectors[offsets[row] : offsets[row + 1]], dtype=np.float32))

    def __getitem__(self, text: str) -> np.ndarray:
        for known, vector in self._texts():
            if known == text:
                return vector
        raise KeyError(text)

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._texts()))

    def __len__(self) -> int:
        return len(dict(self._texts()))

    def items(self):  # one pass instead of a lookup per key
        return dict(self._texts()).items()


def save_chunk_sentences(vectors_path: Path, offsets_path: Path, chunks: Sequence[Chunk],
                         vectors_by_text: Mapping[str, np.ndarray], dim: int) -> None:
    """Write the per-chunk layout: the sentences of each chunk, in chunk order, then the row offsets."""
    counts = [len(c.sentence_texts()) for c in chunks]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    rows = np.lib.format.open_memmap(vectors_path, mode="w+", dtype=np.float32, shape=(int(offsets[-1]), dim))
    for chunk, start in zip(chunks, offsets):
        for i, text in enumerate(chunk.sentence_texts()):
            rows[start + i] = vectors_by_text[text]
    rows.flush()
    del rows
    with open(offsets_path, "wb") as handle:
        np.save(handle, offsets, allow_pickle=False)


def notes_text(chunks: Iterable[Chunk]) -> str:
    """All the notes in comparable form (heading path and text of each chunk): what "the notes mention X" searches."""
    return comparable(" ".join(f"{c.heading_path} {c.text}" for c in chunks))


@dataclass(frozen=True)
class Lexicon:
    """Inverse document frequencies of words over the sentences of the notes."""

    document_frequency: dict[str, int]
    documents: int

    @classmethod
    def build(cls, texts: Iterable[str]) -> "Lexicon":
        frequency: Counter[str] = Counter()
        count = 0
        for text in texts:
            frequency.update({comparable(w) for w in word_tokens(text)})
            count += 1
        return cls(dict(frequency), count)

    @classmethod
    def of_chunks(cls, chunks: Iterable[Chunk]) -> "Lexicon":
        """Word weights over every sentence of `chunks`, each with its heading path (what answers weigh words by)."""
        return cls.build(f"{c.heading_path} {s}" for c in chunks for s in units(c.text))

    def idf(self, word: str) -> float:
        """Smoothed IDF; a word absent from the notes gets the largest weight."""
        return math.log((self.documents + 1) / (self.document_frequency.get(comparable(word), 0) + 0.5))

    def coverage(self, words: Iterable[str], text: str) -> float:
        """The IDF-weighted share of `words` found in `text` (substring match on normalised text)."""
        words = list(words)
        total = sum(self.idf(w) for w in words)
        if not total:
            return 0.0
        haystack = comparable(text)
        return sum(self.idf(w) for w in words if comparable(w) in haystack) / total

    def save(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"documents": self.documents, "document_frequency": self.document_frequency}, handle,
                      ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        data = json.loads(path.read_text(encoding="utf-8"))
        documents, frequency = (data.get("documents"), data.get("document_frequency")) if isinstance(data, dict) else (None, None)
        if not isinstance(documents, int) or not isinstance(frequency, dict):
            raise ValueError(f"{path.name} is not a word-weight file")
        return cls(frequency, documents)
