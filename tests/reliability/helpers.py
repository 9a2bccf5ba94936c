"""Shared by the reliability tests: run the CLI in-process or as a real process, pause and kill it, judge its errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRESS = re.compile(r"^(embedding|embedding sentences|answering):")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli(capsys, *args: str) -> Result:
    """`python -m assistant ARGS` in this process (fast; the test fakes are registered); captures its output."""
    from assistant.cli import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's own exits (bad flags, --help)
        code = exc.code
    out = capsys.readouterr()
    return Result(code, out.out, out.err)


def _env(extra: dict | None) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **(extra or {})}
    return {k: v for k, v in env.items() if v is not None}


def fake_cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.reliability.fake_cli", *[str(a) for a in args]]


def run_real(*args: str, env: dict | None = None, timeout: float = 300, fakes: bool = True) -> Result:
    """A real process: `python -m tests.reliability.fake_cli ARGS` (fakes registered) or `python -m assistant ARGS`."""
    command = fake_cli_command(*args) if fakes else [sys.executable, "-m", "assistant", *[str(a) for a in args]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=_env(env))
    return Result(done.returncode, done.stdout, done.stderr)


class Running:
    """A fake CLI process whose stderr is collected as it arrives (progress bars end in \\r, not \\n)."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.process = subprocess.Popen(
            fake_cli_command(*args), cwd=REPO, env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while chunk := os.read(self.process.stderr.fileno(), 4096):
            self._err += chunk

    @property
    def stderr(self) -> str:
        return self._err.decode("utf-8", errors="replace")

    def wait_for(self, condition, timeout: float = 180) -> None:
        """Until condition(stderr) holds; fails if the process ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        while not condition(self.stderr):
            if self.process.poll() is not None:
                raise AssertionError(f"process ended with {self.process.returncode} first:\n{self.stderr[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting; stderr so far:\n{self.stderr[-2000:]}")
            time.sleep(0.02)

    def wait_paused(self, point: str, timeout: float = 180) -> None:
        self.wait_for(lambda err: f"PAUSED {point}" in err, timeout)

    def kill(self) -> int:
        """SIGKILL: no handler, no cleanup, no flush; returns the exit status (-9)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        self.process.stdout.close()
        self.process.stderr.close()
        return code


def progress_count(stderr: str, bar: str = "embedding") -> int:
    """The last count a tqdm bar showed, e.g. 64 for 'embedding:  53%|█████▎ | 64/120'."""
    counts = re.findall(rf"{bar}:[^\r\n]*?\| *(\d+)/\d+", stderr)
    return int(counts[-1]) if counts else -1


def stderr_lines(stderr: str) -> list[str]:
    """Non-empty stderr lines, without tqdm progress bar redraws."""
    lines = [line.strip() for line in re.split(r"[\r\n]+", stderr)]
    return [line for line in lines if line and not PROGRESS.match(line)]


def assert_clean_error(result: Result, *needles: str, allow_skipped: bool = False) -> str:
    """Exit 2, no traceback, and exactly one stderr line: `error: …` naming the problem. Returns that line."""
    assert result.returncode == 2, f"exit {result.returncode}\nstdout: {result.stdout[-1000:]}\nstderr: {result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = stderr_lines(result.stderr)
    if allow_skipped:  # what was left out, and eval's warnings, may precede the error
        lines = [line for line in lines if not line.startswith(("skipped ", "warning: "))]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines[-5:]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert len(lines[0]) < 2000, "an error line should name the problem, not echo the input"
    return lines[0]


def assert_ok(result: Result) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout[-1000:]}\nstderr: {result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def index_leftovers(index_dir: Path) -> list[str]:
    """What a finished write should not leave behind: staging folders, temp manifests, superseded generations."""
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    return sorted(
        p.name for p in index_dir.iterdir()
        if p.name.startswith((".gen-", ".manifest.json.tmp")) or (p.name.startswith("gen-") and p.name != manifest["generation"])
    )
