"""Start-up: `index` and `ask` as fresh processes, and the UI from launch to a page that answers, with peak RSS of each."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

from assistant.bench.browser import first_tokens_in_browser
from assistant.bench.coldstart import QUESTION as ASK_QUESTION
from assistant.bench.common import failure_reason, median, say, skipped
from assistant.bench.memory import Measured, assistant_command, run_measured, run_until_ready

TARGET_ASK_S = 5.0
TARGET_UI_READY_S = 10.0
TARGET_UI_FIRST_TOKEN_S = 1.0
# Chat requests after the first one through the UI; the target figure is their median.
UI_LATER_REQUESTS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def index_run(index_dir: Path) -> Measured:
    """`python -m assistant index` of the bundled notes into a fresh folder."""
    return run_measured(assistant_command("index", "--index-dir", str(index_dir), "--rebuild"), timeout=900)


def _ask_once(index_dir: Path, env: dict[str, str] | None = None) -> Measured:
    command = assistant_command("ask", ASK_QUESTION, "--index-dir", str(index_dir), "--max-new-tokens", "64", "--json")
    return run_measured(command, timeout=300, env=env)


def ask_runs(index_dir: Path, reps: int) -> dict[str, Any]:
    """`ask` from process start to exit (the last token is printed just before), `reps` times; interleaved with as
    many runs without the on-disk prompt cache (the same-run baseline for it). One untimed run first leaves the cache."""
    from assistant.generators.llamacpp import PROMPT_CACHE_ENV

    first = _ask_once(index_dir)
    if first.returncode != 0:
        return skipped(f"ask failed: {first.error_line()}")
    runs, uncached = [], []
    for _ in range(reps):
        for env, into in ((None, runs), ({PROMPT_CACHE_ENV: "0"}, uncached)):
            run = _ask_once(index_dir, env)
            if run.returncode != 0:
                return skipped(f"ask failed: {run.error_line()}")
            into.append(run)
    records = [json.loads(r.stdout) for r in runs]
    return {
        "question": ASK_QUESTION,
        "runs": len(runs),
        "wall_s": median([r.wall_s for r in runs]),
        "wall_s_all": [r.wall_s for r in runs],
        "peak_rss_mb": max(r.peak_rss_mb for r in runs),
        "abstained": any(rec.get("abstained") for rec in records),
        "new_tokens": median([rec["timings"].get("new_tokens") or 0 for rec in records]),
        "in_process_ms": {k: median([rec["timings"].get(k) or 0 for rec in records]) for k in ("retrieval_ms", "first_token_ms", "generation_ms")},
        "llama_build": records[0]["params"].get("llama_build"),
        "answers": sorted({rec["answer"] for rec in records}),
        "without_prompt_cache": {
            "wall_s": median([r.wall_s for r in uncached]),
            "wall_s_all": [r.wall_s for r in uncached],
            "answers": sorted({json.loads(r.stdout)["answer"] for r in uncached}),
            "first_token_ms": median([json.loads(r.stdout)["timings"].get("first_token_ms") or 0 for r in uncached]),
        },
    }


def _page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _last_assistant_text(history: object) -> str:
    """The text of the chat's last message if the assistant wrote it (content is a string or a list of text parts)."""
    if not isinstance(history, list) or not history or not isinstance(history[-1], dict):
        return ""
    message = history[-1]
    if message.get("role") != "assistant":
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return ""


def _chat_once(client, question: str) -> tuple[float | None, float]:
    """(seconds to the first answer piece or None, seconds to the end) of one chat message through the API."""
    started = time.perf_counter()
    job = client.submit(question, [], api_name="/chat")
    first = None
    for update in job:
        history = update[0] if isinstance(update, (list, tuple)) else update
        if first is None and _last_assistant_text(history):
            first = time.perf_counter() - started
    job.result()
    return first, time.perf_counter() - started


def chat_summary(runs: list[tuple[float | None, float]]) -> dict[str, Any]:
    """The first request after launch on its own (it pays for anything left lazy), then medians of the rest."""
    (first_piece, first_answer), later = runs[0], runs[1:] or runs[:1]
    pieces = [p for p, _ in later if p is not None]
    return {
        "requests": len(runs),
        "first_token_s": median(pieces) if pieces else None,
        "answer_s": median([a for _, a in later]),
        "first_token_s_all": [p for p, _ in runs],
        "first_request": {"first_token_s": first_piece, "answer_s": first_answer},
    }


def first_token_through_ui(url: str, questions: tuple[str, ...] = (ASK_QUESTION,)) -> dict[str, Any]:
    """Send `questions` one by one through the app's Gradio API (gradio_client, as the page does) and time each."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
        runs = [_chat_once(client, q) for q in questions]
    except Exception as exc:  # noqa: BLE001 - the app's API shape belongs to ui/; report, do not fail
        return skipped(f"could not chat through the API: {failure_reason(exc)}")
    return {**chat_summary(runs), "client": "gradio_client (the page's own API, no browser)"}


def ui_questions(count: int = UI_LATER_REQUESTS) -> tuple[str, ...]:
    """ASK_QUESTION first, then the first `count` gold questions (those the in-process pipeline figure starts with)."""
    from assistant.bench.common import real_corpus

    return (ASK_QUESTION, *real_corpus().questions[:count])


def ui_run(index_dir: Path) -> dict[str, Any]:
    """`python -m assistant ui` from launch until its page answers 200, then a few chat messages; peak RSS throughout."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    questions = ui_questions()
    run = run_until_ready(
        assistant_command("ui", "--port", str(port), "--index-dir", str(index_dir)),
        ready=lambda: _page_answers(url), timeout=180,
        after_ready=lambda: {"chat": first_token_through_ui(url, questions), "browser": first_tokens_in_browser(url, questions)},
    )
    if run.ready_s is None:
        return skipped(f"the UI did not come up: {run.error_line()}")
    return {"ready_s": run.ready_s, "peak_rss_mb": run.peak_rss_mb, **run.extra}


def run(quick: bool, index_dir: Path) -> dict[str, Any]:
    """The start-up and memory sections (one set of processes serves both)."""
    say("start-up: index")
    out: dict[str, Any] = {}
    built = index_run(index_dir)
    out["index"] = ({"wall_s": built.wall_s, "peak_rss_mb": built.peak_rss_mb, "summary": built.stdout.strip()}
                    if built.returncode == 0 else skipped(f"index failed: {built.error_line()}"))
    if built.returncode != 0:
        out["ask"] = out["ui"] = skipped("no index")
        return out
    say("start-up: ask")
    try:
        out["ask"] = ask_runs(index_dir, reps=1 if quick else 3)
    except Exception as exc:  # noqa: BLE001
        out["ask"] = skipped(failure_reason(exc))
    if quick:
        out["ui"] = skipped("--quick")
    else:
        say("start-up: ui")
        try:
            out["ui"] = ui_run(index_dir)
        except Exception as exc:  # noqa: BLE001
            out["ui"] = skipped(failure_reason(exc))
    return out
