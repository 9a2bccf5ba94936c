"""Shared by the UI tests: the real default index built once, and the UI served by run_ui() in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# run_ui() over a pipeline built with every setting at its default, so the test exercises the UI's own defaults
# (host, settings) rather than the CLI's.
_SERVE = """
import sys
from assistant.answer.pipeline import create_pipeline
from ui.app import auth_from_env, run_ui
auth = auth_from_env() if sys.argv[3] == "auth" else None
sys.exit(run_ui(create_pipeline(sys.argv[1]), port=int(sys.argv[2]), auth=auth))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() when the process was started
    ready: float  # when it printed its URL (model loaded, app serving)
    output: list[str]


@contextmanager
def serve_ui(index_dir: Path, home: Path, *, auth: str | None = None, timeout: float = 120):
    """Start the UI on a free 127.0.0.1 port in a subprocess; yields a Server once it prints its URL."""
    env = {**os.environ, "ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1"}
    env.pop("ASSISTANT_AUTH", None)
    if auth is not None:
        env["ASSISTANT_AUTH"] = auth
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(index_dir), str(free_port()), "auth" if auth is not None else "-"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if "study assistant UI on " in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the UI did not start:\n" + "\n".join(output[-40:]))
        line = next(l for l in output if "study assistant UI on " in l)
        url = line.split("study assistant UI on ", 1)[1].split()[0].rstrip(";")
        yield Server(url.rstrip("/"), process, started, time.perf_counter(), output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def ui_index(tmp_path_factory) -> Path:
    """The default notes indexed with the default (real) embedder, once per session."""
    from assistant.paths import DEFAULT_NOTES_DIR
    from index.builder import build_index

    index_dir = tmp_path_factory.mktemp("ui-index") / "index"
    build_index(DEFAULT_NOTES_DIR, index_dir, progress=False)
    return index_dir


def record_figure(name: str, value: float) -> None:
    """Print a measured figure; with $UI_FIGURES set, also append it there as `name value` for the benchmarks."""
    print(f"\n[ui figure] {name} = {value:.3f}")
    path = os.environ.get("UI_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name} {value:.4f}\n")
