"""The app served in-process over a fake model: login, the abstention state, and a model failure mid-answer."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from assistant.config import RetrievalParams
from assistant.answer.pipeline import Pipeline
from tests.conftest import EchoGenerator
from tests.ui.conftest import free_port

pytestmark = pytest.mark.slow  # starts a web server

USER = ("learner", "s3cret:pass")


class FailingOnBoom(EchoGenerator):
    """The echo model, a little slow, that counts how many answers it writes at once and fails on BOOM."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.active = self.peak = 0

    def stream(self, prompt, params, constraint=None):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if "BOOM" in prompt[-40:]:  # the question comes last
                yield "partial"
                raise RuntimeError("model crashed at /secret/path")
            for piece in super().stream(prompt, params, constraint):
                time.sleep(0.02)
                yield piece
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory):
    from index.builder import build_index
    from index.embedders import make_embedder
    from index.retriever import Retriever
    from index.storage import read_index
    from ui.app import build_app, launch

    notes = tmp_path_factory.mktemp("notes")
    (notes / "exam.md").write_text("# 試験\n\n合格ラインは720点です。\n\nThe passing score is 720.\n", encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("idx") / "index"
    build_index(notes, index_dir, embedder_name="fake-hash", progress=False)
    pipeline = Pipeline(Retriever(read_index(index_dir), make_embedder("fake-hash")), FailingOnBoom(),
                        retrieval=RetrievalParams(passages=1), abstain_below=0.0)
    demo = build_app(pipeline)
    url = launch(demo, port=free_port(), auth=USER)
    yield pipeline, url.rstrip("/")
    demo.close()


def chat(client, question):
    history, sources, _ = client.predict(question, [], api_name="/chat")
    return history[-1]["content"][0]["text"], sources


def test_login_is_required(fake_app):
    from gradio_client import Client

    _, url = fake_app
    assert httpx.get(f"{url}/gradio_api/info").status_code in (401, 403)
    with pytest.raises(Exception):
        Client(url, verbose=False)
    with pytest.raises(Exception):
        Client(url, auth=("learner", "wrong"), verbose=False)
    record = Client(url, auth=USER, verbose=False).predict("合格ラインは？", api_name="/ask")
    assert record["answer"] and "720" in record["sources"][0]["text"]


def test_abstention_shows_the_not_in_the_notes_state(fake_app, monkeypatch):
    from gradio_client import Client

    pipeline, url = fake_app
    monkeypatch.setattr(pipeline, "abstain_below", 2.0)  # no similarity reaches 2: every question abstains
    text, sources = chat(Client(url, auth=USER, verbose=False), "合格ラインは？")
    assert "ノートには記載がありません" in text and "not in the notes" in text
    assert "sa-abstained" in sources and "Not in the notes" in sources


def test_a_model_failure_is_a_readable_message_and_the_app_keeps_serving(fake_app):
    from gradio_client import Client

    _, url = fake_app
    client = Client(url, auth=USER, verbose=False)
    text, sources = chat(client, "BOOM")
    assert text.startswith("⚠ the assistant failed to answer (RuntimeError)")
    assert "/secret/path" not in text + sources and "Traceback" not in text + sources
    assert client.predict("BOOM", api_name="/ask") == {"error": text.removeprefix("⚠ ")}
    text, sources = chat(client, "合格ラインは？")
    assert "720" in text and 'class="sa-source' in sources


def test_the_model_answers_one_request_at_a_time_and_the_rest_queue(fake_app):
    from gradio_client import Client
    from gradio_client.utils import Status

    pipeline, url = fake_app
    pipeline.generator.peak = 0
    client = Client(url, auth=USER, verbose=False)
    jobs = [client.submit(f"合格ラインは？ {i}", api_name="/ask") for i in range(3)]
    jobs += [client.submit(f"The passing score? {i}", [], api_name="/chat") for i in range(2)]
    queued = False
    while not all(job.done() for job in jobs):
        queued |= any(job.status().code == Status.IN_QUEUE for job in jobs)
        time.sleep(0.01)
    assert queued and pipeline.generator.peak == 1
    assert all("720" in job.result()["answer"] for job in jobs[:3])
    assert all("720" in job.result()[0][-1]["content"][0]["text"] for job in jobs[3:])
