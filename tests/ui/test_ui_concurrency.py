"""Several users at once through the real UI (`python -m assistant ui --slots N`, bundled Gemma on llama.cpp, the
default notes' index): answers are written side by side, and each is the answer that user would get alone."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.bench.concurrency import _assistant_text, _chat_args, ui_server

pytestmark = pytest.mark.slow  # real model, real index, servers in subprocesses

# Two questions of the dev gold set whose answers the model writes (a span it chooses, 11-13 tokens; whole answers
# such as definitions are settled without the model), so that two answers written at once stream at the same time;
# each with a part of its gold answer.
QUESTIONS = {
    "違いを覚え直しておくべき評価指標として挙げられているのは？": "Precision",
    "L2正則化は何をしますか？": "重み値を小さくする",
}


def ask_at_once(url: str) -> dict[str, dict]:
    """Both questions sent at the same moment, each by its own gradio_client session through the page's /chat."""
    from gradio_client import Client

    clients = {q: Client(url, verbose=False) for q in QUESTIONS}
    go = threading.Barrier(len(QUESTIONS))
    out: dict[str, dict] = {}

    def user(question: str) -> None:
        go.wait()
        started = time.perf_counter()
        first, text = None, ""
        job = clients[question].submit(*_chat_args(question), api_name="/chat")
        for update in job:
            text = _assistant_text(update) or text
            if first is None and text:
                first = time.perf_counter()
        out[question] = {"text": _assistant_text(job.result()) or text, "started": started, "first": first,
                         "ended": time.perf_counter()}

    threads = [threading.Thread(target=user, args=(q,)) for q in QUESTIONS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return out


def streamed_together(runs: dict[str, dict]) -> bool:
    """True when the two answers were streaming at the same time: each got its first piece before the other ended."""
    a, b = runs.values()
    return a["first"] < b["ended"] and b["first"] < a["ended"]


def test_two_users_are_answered_right_and_side_by_side(ui_index):
    with ui_server(ui_index, slots=2) as (url, _):
        ask_at_once(url)  # the first requests after launch may still set things up
        parallel = ask_at_once(url)
    with ui_server(ui_index, slots=1) as (url, _):
        ask_at_once(url)
        serial = ask_at_once(url)
    for runs in (parallel, serial):
        assert set(runs) == set(QUESTIONS)
        for question, expected in QUESTIONS.items():
            assert expected in runs[question]["text"], (question, runs[question]["text"])
            assert runs[question]["first"] is not None
    # Greedy answers do not depend on who else is asking.
    assert {q: r["text"] for q, r in parallel.items()} == {q: r["text"] for q, r in serial.items()}
    # One slot writes one answer after the other; two slots write both at once.
    assert not streamed_together(serial)
    assert streamed_together(parallel), parallel
