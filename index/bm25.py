"""BM25 over Japanese word tokens (bm25s), saved beside the FAISS file."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.text import word_tokens

logging.getLogger("bm25s").setLevel(logging.ERROR)


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
        model.index([word_tokens(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(model, len(texts))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) pairs, best first, for rows with a positive score."""
        tokens = [t for t in word_tokens(query) if t in self._model.vocab_dict]
        if not tokens or self.size == 0:
            return []
        scores = self._model.get_scores(tokens)
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
