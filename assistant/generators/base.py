"""The generator interface every backend implements, and the span constraint for grounded decoding."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.config import GenerationParams


@dataclass(frozen=True)
class SpanConstraint:
    """Decoding may only produce a contiguous substring of one of `sources` (grounded copying)."""

    sources: tuple[str, ...]


class Generator(ABC):
    """A text generator. Backends differ in runtime; they share sampling semantics."""

    name: str = "generator"

    @abstractmethod
    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> Iterator[str]:
        """Yield the continuation of `prompt` piece by piece."""

    def generate(self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None) -> str:
        """The whole continuation of `prompt` as one string."""
        return "".join(self.stream(prompt, params, constraint))

    def close(self) -> None:
        """Free the model; the default has nothing to free."""
