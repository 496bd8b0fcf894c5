"""Read the next page while the current one loads: an iterator run one item ahead in a background thread.

Paging is sequential (each request needs the previous answer's `after`), but loading a page into Postgres
does not need the network: with the next request in flight meanwhile, a stream runs at the pace of the
slower of the two instead of their sum. Pages still arrive, and are loaded and committed, in order, one
transaction each, so crash safety is untouched; at most `depth` pages wait in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a producer blocked on a full queue checks whether the consumer has gone


class _End:
    """The producer's last message: the iterator ended, or raised `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetched(items: Iterator[T], depth: int = 1, name: str = "prefetch") -> Iterator[T]:
    """Yield what `items` yields, computing up to `depth` items ahead in a daemon thread.

    An exception raised by `items` is raised here, at the item where it happened. When the consumer stops
    early (it raised, or closed this generator), the thread stops after the item it is computing.
    """
    ready: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(message: T | _End) -> bool:
        while not stop.is_set():
            try:
                ready.put(message, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it in its own thread
            offer(_End(error))
        else:
            offer(_End())
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            message = ready.get()
            if isinstance(message, _End):
                if message.error is not None:
                    raise message.error
                return
            yield message
    finally:
        stop.set()
