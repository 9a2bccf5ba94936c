"""BM25 over index terms (bm25s: Japanese words, stemmed English words), saved beside the FAISS file."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from corpus.text import index_terms

logging.getLogger("bm25s").setLevel(logging.ERROR)

# The version of `index_terms` an index's BM25 was built with (its manifest's `bm25_terms`); a plain `index` rebuilds
# BM25 when it differs, reusing every vector. 2: options and format directives are whole terms (-d, %s).
BM25_TERMS = 2


class BM25Index:
    """Lexical scores for chunk texts; rows follow the chunk order of the index."""

    def __init__(self, model, size: int) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> "BM25Index":
        import bm25s

        model = bm25s.BM25()
        # An empty-token document would make bm25s drop the row; a placeholder keeps rows aligned.
        model.index([index_terms(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(model, len(texts))

    @property
    def vocabulary(self) -> Collection[str]:
        """Every term the notes use."""
        return self._model.vocab_dict.keys()

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) pairs, best first, for rows with a positive score."""
        tokens = [t for t in index_terms(query) if t in self._model.vocab_dict]
        if not tokens or self.size == 0:
            return []
        return self._best(self._model.get_scores(tokens), k)

    def search_groups(self, groups: Sequence[Sequence[Sequence[str]]], k: int) -> list[tuple[int, float]]:
        """Like `search` for a structured query: each group is a list of alternatives, each alternative a list of
        terms; a row scores the sum over groups of its best alternative (the sum of that alternative's terms)."""
        if self.size == 0:
            return []
        total = np.zeros(self.size, dtype=np.float64)
        for alternatives in groups:
            best = np.zeros(self.size, dtype=np.float64)
            for terms in alternatives:
                known = [t for t in terms if t in self._model.vocab_dict]
                if known and len(known) == len(terms):
                    best = np.maximum(best, self._model.get_scores(known) / len(known))
            total += best
        return self._best(total, k) if total.any() else []

    def _best(self, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "BM25Index":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), load_corpus=False), size)
