"""Generated tokens as text: streamed as they decode (IncrementalTextStreamer), cut at stop strings (StopFilter)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class IncrementalTextStreamer:
    """A transformers streamer that hands over text as soon as it decodes, piece by piece.

    TextIteratorStreamer waits for a space after any punctuation, so Japanese ("、", "。") would arrive in one
    piece at the end. This one only holds back a trailing U+FFFD (a character whose bytes are not all there yet).
    The generating thread calls put()/end(); each new piece of text goes to `emit`.
    """

    def __init__(self, tokenizer: Any, emit: Callable[[str], None]) -> None:
        self.tokenizer = tokenizer
        self.emit = emit
        self._ids: list[int] = []
        self._sent = 0
        self._prompt_skipped = False

    def _decoded(self) -> str:
        return self.tokenizer.decode(self._ids, skip_special_tokens=True)

    def put(self, value: Any) -> None:
        if not self._prompt_skipped:  # generate() first puts the prompt
            self._prompt_skipped = True
            return
        self._ids.extend(value.reshape(-1).tolist())
        text = self._decoded()
        ready = len(text.rstrip("\ufffd"))
        if ready > self._sent:
            self.emit(text[self._sent : ready])
            self._sent = ready

    def end(self) -> None:
        text = self._decoded()
        if len(text) > self._sent:
            self.emit(text[self._sent :])
        self._sent = len(text)


class StopFilter:
    """Passes streamed text through until a stop string appears; holds back text that may start one."""

    def __init__(self, stops: Iterable[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        buf = self._held + text
        hits = [i for i in (buf.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return buf[: min(hits)]
        keep = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(buf)), 0, -1):
                if buf.endswith(stop[:k]):
                    keep = max(keep, k)
                    break
        self._held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        held, self._held = ("" if self.stopped else self._held), ""
        return held
