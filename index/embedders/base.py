"""The interface every embedder implements, and the L2 normalisation they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors; queries and passages may be embedded differently."""

    name: str
    dim: int
    max_tokens: int | None = None
    # Passages per `embed_passages` call in a bulk job (one progress-bar step).
    call_size: int = 32

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) array, one row per passage."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """A (dim,) vector for one query."""

    def for_bulk(self, count: int) -> Embedder:
        """The embedder to use for `count` passages in one job: itself, unless a batch engine pays off."""
        return self

    def release_bulk(self) -> None:
        """Free the batch engine `for_bulk` loaded, once the job is done (the next job loads it again)."""


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
