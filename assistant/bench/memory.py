"""Run a command in a subprocess and measure its wall time and the peak RSS of its process tree (psutil polling)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.paths import REPO_ROOT

POLL_S = 0.05
TARGET_ASK_RSS_GB = 1.5


@dataclass(frozen=True)
class Measured:
    """One subprocess run: wall time to exit (or to ready), peak RSS of the tree, and its output."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int | None
    stdout: str
    stderr: str
    ready_s: float | None = None
    extra: dict | None = None

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / 2**20

    def error_line(self) -> str:
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1][:300] if lines else f"exit code {self.returncode}"


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (shared pages are counted once per process)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


class _PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.stop.wait(POLL_S)


def assistant_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(extra or {})}


def run_measured(cmd: list[str], timeout: float = 600, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> Measured:
    """Run `cmd` to completion; wall time from just before the start to its exit."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=_env(env),
                            start_new_session=True)
    sampler = _PeakSampler(proc.pid)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc)
        out, err = proc.communicate()
        err += f"\ntimed out after {timeout:.0f} s"
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    return Measured(wall, sampler.peak, proc.returncode, out, err)


def run_until_ready(cmd: list[str], ready: Callable[[], bool], timeout: float = 180, env: dict[str, str] | None = None,
                    after_ready: Callable[[], dict] | None = None, cwd: Path = REPO_ROOT) -> Measured:
    """Start a server, poll `ready()` until it is true, run `after_ready()`, then stop the server.

    ready_s is launch to ready; the peak RSS covers the whole run, after_ready included.
    """
    log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a chatty server must never block on a full pipe
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, text=True, cwd=cwd, env=_env(env), start_new_session=True)
    sampler = _PeakSampler(proc.pid)
    sampler.start()
    ready_s = None
    extra = None
    err = ""
    try:
        while time.perf_counter() - started < timeout and proc.poll() is None:
            if ready():
                ready_s = time.perf_counter() - started
                break
            time.sleep(0.1)
        if ready_s is not None and after_ready is not None:
            extra = after_ready()
    finally:
        wall = time.perf_counter() - started
        _stop(proc)
        sampler.stop.set()
        sampler.join()
        log.seek(0)
        err = log.read()[-20_000:]
        log.close()
    if ready_s is None and proc.returncode is not None:
        err = (err or "") + f"\nthe server exited ({proc.returncode}) or was not ready within {timeout:.0f} s"
    return Measured(wall, sampler.peak, proc.returncode, "", err or "", ready_s, extra)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the process group this module started (start_new_session), politely first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=15)
