"""Text generators: one interface (base.Generator), backends chosen by name through the registry."""

from assistant.generators.base import Generator, SpanConstraint
from assistant.generators.registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    available_backends,
    make_generator,
    register_backend,
    unregister_backend,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Generator",
    "SpanConstraint",
    "available_backends",
    "make_generator",
    "register_backend",
    "unregister_backend",
]
