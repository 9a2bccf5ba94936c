"""Generator backends by name: the built-in three, plus any a test or plugin registers (like simonw/llm's fake models)."""

from __future__ import annotations

import os
from collections.abc import Callable

from assistant.generators.base import Generator
from corpus.errors import InputError

BACKENDS = ("llamacpp", "transformers", "openai")
DEFAULT_BACKEND = "llamacpp"

# A factory takes (model, base_url) and returns a ready generator; it raises InputError for bad input.
BackendFactory = Callable[[str | None, str | None], Generator]


def _no_base_url(backend: str, base_url: str | None) -> None:
    if base_url:
        raise InputError(f"a server URL only applies to the openai backend, not to {backend}")


def _llamacpp(model: str | None, base_url: str | None, slots: int = 1) -> Generator:
    _no_base_url("llamacpp", base_url)
    from assistant.generators.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator(model_path=model, slots=slots)


def _transformers(model: str | None, base_url: str | None) -> Generator:
    _no_base_url("transformers", base_url)
    from assistant.generators.transformers import TransformersGenerator

    return TransformersGenerator(model)


def _openai(model: str | None, base_url: str | None) -> Generator:
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    if not url:
        raise InputError("the openai backend needs the server's URL: pass --base-url or set OPENAI_BASE_URL")
    from assistant.generators.openai_compat import OpenAICompatGenerator

    return OpenAICompatGenerator(url, model)


_BUILTIN: dict[str, BackendFactory] = {"llamacpp": _llamacpp, "transformers": _transformers, "openai": _openai}
_registered: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make `make_generator(name, …)` call `factory(model, base_url)`; a registered name shadows a built-in."""
    key = name.strip().lower()
    if not key:
        raise ValueError("a backend needs a non-empty name")
    _registered[key] = factory


def unregister_backend(name: str) -> None:
    _registered.pop(name.strip().lower(), None)


def available_backends() -> tuple[str, ...]:
    """The built-in backends, then the registered ones."""
    return BACKENDS + tuple(n for n in _registered if n not in BACKENDS)


def make_generator(backend: str = DEFAULT_BACKEND, model: str | None = None, base_url: str | None = None,
                   slots: int = 1) -> Generator:
    """A loaded generator of the named backend; InputError names the valid choices for an unknown backend.

    `slots`: how many requests llama.cpp serves at once (assistant.config.model_slots); the other backends serve
    one at a time here (transformers) or leave it to their server (openai).
    """
    key = (backend or DEFAULT_BACKEND).strip().lower()
    factory = _registered.get(key) or _BUILTIN.get(key)
    if factory is None:
        raise InputError(f"unknown backend {backend!r}; choose one of: {', '.join(available_backends())}")
    if factory is _llamacpp and slots != 1:
        return _llamacpp(model or None, base_url or None, slots)
    return factory(model or None, base_url or None)
