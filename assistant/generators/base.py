"""The generator interface every backend implements, the stream it returns, and the span constraint."""

from __future__ import annotations

import collections.abc
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from assistant.config import GenerationParams


@dataclass(frozen=True)
class SpanConstraint:
    """Decoding may only produce a contiguous substring of one of `sources` (grounded copying)."""

    sources: tuple[str, ...]


@dataclass(frozen=True)
class Usage:
    """What one generation cost and why it ended; None where the backend does not say.

    `finish_reason` has OpenAI's meaning ("stop", "length"), plus "span_end" when the openai backend cut a
    reply that left the span constraint's sources.
    """

    new_tokens: int | None = None
    prompt_tokens: int | None = None
    finish_reason: str | None = None


# A backend's pieces as a Python generator whose return value is its Usage: what GenerationStream takes.
PieceGenerator = collections.abc.Generator[str, None, Usage]


class GenerationStream:
    """Iterate to receive the text pieces; `usage` is set once the iteration ends (as AnswerStream sets `answer`).

    It is an iterator: next() and close() work as on a generator, and close() stops the backend early.
    """

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = iter(pieces)
        self.usage: Usage | None = None

    @classmethod
    def wrap(cls, stream: Iterable[str]) -> GenerationStream:
        """`stream` itself if it is a GenerationStream, else one over it (for backends that yield plain strings)."""
        return stream if isinstance(stream, GenerationStream) else cls(stream)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except StopIteration as end:
            if self.usage is None:
                self.usage = end.value if isinstance(end.value, Usage) else Usage()
            raise

    def close(self) -> None:
        """Stop early: the backend's generator is closed, so it cancels its work."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class Generator(ABC):
    """A text generator. Backends differ in runtime; they share sampling semantics."""

    name: str = "generator"

    @abstractmethod
    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> GenerationStream:
        """The continuation of `prompt` piece by piece, and its usage once read to the end.

        A backend may also return a plain iterator of strings (no usage); consumers take it through
        GenerationStream.wrap.
        """

    def generate(self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None) -> str:
        """The whole continuation of `prompt` as one string."""
        return "".join(self.stream(prompt, params, constraint))

    def run_params(self) -> dict:
        """What an answer's `params` should also say about this backend (e.g. which llama.cpp build answered)."""
        return {}

    def close(self) -> None:
        """Free the model; the default has nothing to free."""
