"""GenerationStream (pieces, then usage) and the worker-thread helper both local backends stream through; no model."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.config import GenerationParams, RetrievalParams
from assistant.generators.base import GenerationStream, Generator, Usage
from assistant.generators.streaming import stream_from_thread


def counted_pieces(texts, closed: list[bool] | None = None):
    try:
        yield from texts
    finally:
        if closed is not None:
            closed.append(True)
    return Usage(new_tokens=len(texts) * 3, prompt_tokens=5, finish_reason="stop")


def test_usage_is_set_once_the_stream_ends():
    stream = GenerationStream(counted_pieces(["a", "b"]))
    assert stream.usage is None
    assert next(stream) == "a" and stream.usage is None
    assert list(stream) == ["b"]
    assert stream.usage == Usage(new_tokens=6, prompt_tokens=5, finish_reason="stop")
    assert list(stream) == [] and stream.usage.new_tokens == 6  # a second end keeps the usage


def test_usage_is_frozen():
    with pytest.raises(AttributeError):
        Usage(new_tokens=1).new_tokens = 2


def test_wrap_takes_a_plain_generator_of_strings():
    def plain():
        yield "x"
        yield "y"

    stream = GenerationStream.wrap(plain())
    assert "".join(stream) == "xy"
    assert stream.usage == Usage()  # the backend said nothing
    assert GenerationStream.wrap(stream) is stream
    listed = GenerationStream.wrap(["p", "q"])
    assert list(listed) == ["p", "q"] and listed.usage == Usage()


def test_close_stops_the_backend_generator():
    closed: list[bool] = []
    stream = GenerationStream(counted_pieces(["a", "b", "c"], closed))
    assert next(stream) == "a"
    stream.close()
    assert closed == [True] and stream.usage is None
    GenerationStream(iter(["a"])).close()  # an iterator without close() is fine too


def test_thread_items_arrive_in_order_and_the_thread_ends():
    started = []

    def produce(emit, cancelled):
        started.append(threading.current_thread().name)
        for i in range(5):
            emit(i)

    items = stream_from_thread(produce, name="test-stream", join_timeout=5)
    assert started == [], "nothing runs before the first next()"
    assert list(items) == [0, 1, 2, 3, 4]
    assert started == ["test-stream"]


def test_producer_error_is_raised_after_its_items():
    def produce(emit, cancelled):
        emit("first")
        raise ValueError("boom")

    items = stream_from_thread(produce, name="test-stream", join_timeout=5)
    assert next(items) == "first"
    with pytest.raises(ValueError, match="boom"):
        next(items)


def test_stopping_early_cancels_the_producer_and_joins_it():
    stopped = threading.Event()

    def produce(emit, cancelled):
        i = 0
        while not cancelled.is_set():
            emit(i)
            i += 1
            time.sleep(0.001)
        stopped.set()

    items = stream_from_thread(produce, name="test-stream", join_timeout=5)
    assert next(items) == 0
    items.close()
    assert stopped.is_set(), "close() returns only once the producer has seen the cancel and ended"


def test_consumer_error_cancels_the_producer():
    stopped = threading.Event()

    def produce(emit, cancelled):
        emit("x")
        cancelled.wait(5)
        stopped.set()

    def consume():
        for _ in stream_from_thread(produce, name="test-stream", join_timeout=5):
            raise KeyError("consumer")

    with pytest.raises(KeyError):
        consume()
    assert stopped.is_set()


class UsageReporting(Generator):
    """A fake backend that reports more tokens than it yields pieces."""

    name = "fake-usage"

    def stream(self, prompt, params, constraint=None):
        return GenerationStream(counted_pieces(["自由な", "回答"]))


class PlainPieces(UsageReporting):
    def stream(self, prompt, params, constraint=None):
        yield "自由な"
        yield "回答"


@pytest.mark.parametrize("generator, new_tokens", [(UsageReporting(), 6), (PlainPieces(), 2)])
def test_the_pipeline_counts_the_backends_tokens_else_the_pieces(fake_index, generator, new_tokens):
    from assistant.answer.pipeline import Pipeline

    pipeline = Pipeline(fake_index, generator, retrieval=RetrievalParams(passages=2), abstain_below=0.0, grounding=False)
    answer = pipeline.answer("L2正則化は何をしますか？", GenerationParams(temperature=0.0))
    assert answer.text == "自由な回答"
    assert answer.timings.new_tokens == new_tokens
    assert generator.generate("q", GenerationParams()) == "自由な回答"
