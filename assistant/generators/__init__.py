"""Text generators: one interface (base.Generator), backends chosen by name through the registry."""

# OMP_WAIT_POLICY, which the local backends need, is set in assistant/__init__.py, which runs before this.
from assistant.generators.base import GenerationStream, Generator, SpanConstraint, Usage
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
    "GenerationStream",
    "Generator",
    "SpanConstraint",
    "Usage",
    "available_backends",
    "make_generator",
    "register_backend",
    "unregister_backend",
]
