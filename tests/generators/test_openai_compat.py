"""The OpenAI-compatible backend against a real llama.cpp HTTP server on 127.0.0.1 serving the bundled Gemma."""

from __future__ import annotations

import pytest

from assistant.config import GenerationParams
from assistant.generators.base import SpanConstraint
from assistant.generators.grammar import is_span_of
from assistant.generators.openai_compat import OpenAICompatGenerator
from corpus.errors import InputError

PROMPT = "AWS の SageMaker は"


def sample(**overrides) -> GenerationParams:
    return GenerationParams(temperature=0.8, top_k=40, top_p=0.95, max_new_tokens=12, seed=1).with_overrides(**overrides)


@pytest.fixture(scope="module")
def remote(llama_server_url):
    generator = OpenAICompatGenerator(llama_server_url)  # no model named: the server's own
    yield generator
    generator.close()


def test_unreachable_server_is_input_error(unused_port):
    with pytest.raises(InputError, match=r"cannot reach the model server at http://127\.0\.0\.1:\d+/v1"):
        OpenAICompatGenerator(f"http://127.0.0.1:{unused_port}", "m")


@pytest.mark.slow
def test_picks_the_served_model(remote):
    assert remote.model.endswith(".gguf")


@pytest.mark.slow
def test_streams_several_pieces(remote):
    stream = remote.stream(PROMPT, sample())
    pieces = list(stream)
    assert len(pieces) >= 2
    assert stream.usage.new_tokens <= 12


@pytest.mark.slow
def test_seed_determinism(remote):
    a = remote.generate(PROMPT, sample(seed=21))
    b = remote.generate(PROMPT, sample(seed=21))
    assert a == b and a
    assert len({remote.generate(PROMPT, sample(seed=s)) for s in (1, 2, 3)}) >= 2


@pytest.mark.slow
def test_stop_and_max_tokens(remote):
    greedy = sample(temperature=0.0, max_new_tokens=16)
    full = remote.generate(PROMPT, greedy)
    stop = full[4:6]
    assert remote.generate(PROMPT, greedy.with_overrides(stop=(stop,))) == full[: full.index(stop)]
    stream = remote.stream(PROMPT, greedy.with_overrides(max_new_tokens=3))
    assert "".join(stream)
    assert stream.usage.new_tokens <= 3


@pytest.mark.slow
def test_span_constraint_through_the_grammar_field(remote):
    stream = remote.stream("Once upon a time", sample(temperature=0.0), SpanConstraint(("日本語だけの資料",)))
    out = "".join(stream)
    assert is_span_of(out, ("日本語だけの資料",)), out
    assert stream.usage.finish_reason != "span_end"  # the server itself kept to the grammar


@pytest.mark.slow
def test_bad_request_is_input_error(remote):
    with pytest.raises(InputError, match="rejected the request"):
        remote.generate("データ " * 3000, sample(max_new_tokens=2))


class _GrammarIgnoringServer:
    """A minimal OpenAI-compatible server on 127.0.0.1 that streams fixed pieces and ignores every extra field."""

    def __init__(self, pieces):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body: bytes, content_type: str):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}).encode(), "application/json")

            def do_POST(self):
                outer.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                events = [
                    {"id": "c", "object": "text_completion", "created": 0, "model": "fake",
                     "choices": [{"index": 0, "text": p, "finish_reason": None}]}
                    for p in pieces
                ]
                body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self._send(body.encode(), "text/event-stream")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_span_is_enforced_even_when_the_server_ignores_the_grammar():
    server = _GrammarIgnoringServer(["XGBoost", " では", " eta を", "調整しない"])
    try:
        generator = OpenAICompatGenerator(server.url)
        assert generator.model == "fake"
        stream = generator.stream("q", sample(), SpanConstraint(("XGBoost では eta を調整する",)))
        assert list(stream) == ["XGBoost", " では", " eta を", "調整"]  # "し" is not in "調整する"
        assert stream.usage.finish_reason == "span_end"
        sent = server.requests[0]
        assert sent["grammar"].startswith("root ::= ") and sent["top_k"] == 40 and sent["seed"] == 1
        assert sent["stream"] is True and sent["model"] == "fake"
    finally:
        server.close()
