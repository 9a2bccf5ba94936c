"""Text generators: one interface (base.Generator), backends chosen by name through the registry."""

import os

# llama.cpp (xllamacpp) and torch both run their CPU threads through OpenMP. With the default ACTIVE wait
# policy, a thread whose partner is descheduled spins instead of sleeping: on the 2-core machine, one other
# busy process cut decoding from ~21 to ~1.5 tokens/s (llama.cpp) and from ~8 to ~0.9 (transformers).
# PASSIVE keeps them at ~21 and ~8. libgomp reads this once, when it is first loaded, so it only takes
# effect if set before torch or xllamacpp is imported; setdefault leaves a user's own choice alone.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from assistant.generators.base import Generator, SpanConstraint  # noqa: E402
from assistant.generators.registry import (  # noqa: E402
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
