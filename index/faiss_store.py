"""Dense vectors in FAISS, inner product over normalised vectors; the index type follows the corpus size."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from pathlib import Path

import numpy as np

from corpus.errors import InputError

# Measured by `assistant bench` (docs/benchmarks.md): exact search (flat, one query) costs about 15 ms per 100k
# chunks on 2 cores, and is already 3× slower than HNSW at 10k chunks; HNSW answers in about 2 ms even at 1M chunks
# and builds 10k vectors in about half a second.
HNSW_FROM_SIZE = 10_000
# HNSW search breadth (M=32, efConstruction=80). The hybrid retriever asks the dense side for 50 rows: at 1M chunks
# efSearch 128 finds only 0.90 of the exact top 50, 256 finds 0.95 (recall@10 0.98) for about 2 ms a query.
HNSW_EF_SEARCH = 256


class IndexKind(str, Enum):
    FLAT = "flat"
    HNSW = "hnsw"


def index_kind_for(size: int) -> IndexKind:
    """Exact search for small corpora, HNSW from HNSW_FROM_SIZE vectors on."""
    return IndexKind.HNSW if size >= HNSW_FROM_SIZE else IndexKind.FLAT


class FaissStore:
    """A FAISS index whose row i is chunk i."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, kind: IndexKind | None = None, hnsw_m: int = 32) -> "FaissStore":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        kind = kind or index_kind_for(len(vectors))
        if kind is IndexKind.HNSW:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def vectors(self) -> np.ndarray:
        """All stored vectors, row-aligned with the chunks."""
        if self.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, self.size)

    def vectors_at(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of `rows`, in that order: an exact copy for the flat and the HNSW index alike."""
        if not len(rows):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def inner_products(self, query: np.ndarray, rows: Sequence[int]) -> list[float]:
        """`query` · the stored vector of each of `rows` (their cosine similarity: both sides are normalised)."""
        query = np.asarray(query, dtype=np.float32)
        return [float(vector @ query) for vector in self.vectors_at(rows)]

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, inner product) pairs, best first."""
        if self.size == 0:
            return []
        scores, rows = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, self.size))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def save(self, path: Path) -> None:
        import faiss

        # Written by Python, not faiss.write_index: on a full disk faiss raises RuntimeError and prints to stderr,
        # where callers expect an OSError and one clean message.
        with open(path, "wb") as handle:
            handle.write(faiss.serialize_index(self._index).tobytes())

    @classmethod
    def load(cls, path: Path) -> "FaissStore":
        import faiss

        try:
            return cls(faiss.read_index(str(path)))
        except RuntimeError as exc:
            raise InputError(f"the FAISS file {path} cannot be read; run `python -m assistant index --rebuild`") from exc
