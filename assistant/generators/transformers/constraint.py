"""The span constraint while decoding: which tokens may come next (SpanState), as a logits mask (SpanLogitsProcessor)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from assistant.generators.grammar import unique_sources
from assistant.generators.transformers.tokens import TokenTable


def _is_char_start(src: bytes, pos: int) -> bool:
    """True when a UTF-8 character starts at `pos` (or `pos` is the end)."""
    return pos >= len(src) or (src[pos] & 0xC0) != 0x80


class SpanState:
    """Where the bytes generated so far can end inside the sources, and which tokens may come next.

    Output starts only at character boundaries and may only end (EOS) at one, so the text is always a whole
    substring, even when the model spells a character with byte-fallback tokens.
    """

    def __init__(self, table: TokenTable, sources: Sequence[str]) -> None:
        self.table = table
        self.sources = [s.encode("utf-8") for s in unique_sources(sources)]
        self.ends: set[tuple[int, int]] | None = None  # None: nothing generated yet
        self._at: dict[tuple[int, int], list[int]] = {}

    def _positions(self) -> Iterable[tuple[int, int]]:
        if self.ends is not None:
            return self.ends
        return [(i, e) for i, src in enumerate(self.sources) for e in range(len(src)) if _is_char_start(src, e)]

    def _tokens_at(self, i: int, e: int) -> list[int]:
        key = (i, e)
        if key not in self._at:
            src, by_bytes = self.sources[i], self.table.by_bytes
            ids: list[int] = []
            for end in range(e + 1, min(len(src), e + self.table.max_len) + 1):
                ids.extend(by_bytes.get(src[e:end], ()))
            self._at[key] = ids
        return self._at[key]

    def allowed_ids(self) -> set[int]:
        allowed: set[int] = set()
        for i, e in self._positions():
            allowed.update(self._tokens_at(i, e))
        if self.ends is not None and any(_is_char_start(self.sources[i], e) for i, e in self.ends):
            allowed.update(self.table.eos_ids)
        return allowed

    def advance(self, token_id: int) -> None:
        """Take in one generated token (EOS or a special token changes nothing)."""
        b = self.table.token_bytes[token_id] if 0 <= token_id < len(self.table.token_bytes) else None
        if not b:
            return
        self.ends = {(i, e + len(b)) for i, e in self._positions() if self.sources[i][e : e + len(b)] == b}


class SpanLogitsProcessor:
    """A transformers LogitsProcessor that keeps the continuation a substring of the constraint's sources.

    It runs before temperature/top-k/top-p (transformers appends those after user processors), so sampling
    acts on the allowed tokens only.
    """

    def __init__(self, table: TokenTable, sources: Sequence[str]) -> None:
        self.state = SpanState(table, sources)
        self._prompt_len: int | None = None
        self._consumed = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self._prompt_len is None:
            self._prompt_len = input_ids.shape[1]
        generated = input_ids[0, self._prompt_len :].tolist()
        for token_id in generated[self._consumed :]:
            self.state.advance(token_id)
        self._consumed = len(generated)
        allowed = [t for t in self.state.allowed_ids() if t < scores.shape[-1]]
        if not allowed:
            allowed = [t for t in self.state.table.eos_ids if t < scores.shape[-1]]
        mask = torch.full_like(scores, float("-inf"))
        mask[:, torch.tensor(allowed, dtype=torch.long)] = 0.0
        return scores + mask
