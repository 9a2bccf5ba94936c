"""Streaming from a blocking producer: it runs in a daemon thread and hands its items over through a queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# produce(emit, cancelled): calls emit(item) for each item, and should stop soon once `cancelled` is set.
Producer = Callable[[Callable[[T], None], threading.Event], Any]

_DONE = object()


class _Failed:
    """The producer's exception, on its way to the consumer."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def stream_from_thread(produce: Producer[T], *, name: str, join_timeout: float) -> Iterator[T]:
    """Yield, in order, what `produce(emit, cancelled)` emits while it runs in a daemon thread called `name`.

    The thread starts at the first next(). An exception in `produce` is raised here, after the items it emitted
    first. When iteration ends, or the consumer stops early (break and close(), or an exception of its own),
    `cancelled` is set, so that `produce` can stop, and the thread is given `join_timeout` seconds to end.
    """
    items: queue.Queue[Any] = queue.Queue()
    cancelled = threading.Event()

    def run() -> None:
        try:
            produce(items.put, cancelled)
        except BaseException as exc:  # handed to the consumer
            items.put(_Failed(exc))
        finally:
            items.put(_DONE)

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        cancelled.set()
        worker.join(timeout=join_timeout)
