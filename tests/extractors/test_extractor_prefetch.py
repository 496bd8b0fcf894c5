"""Prefetching pages: the next one is read while the current one loads, in order, errors where they happened."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from extractors.core.prefetch import prefetched


class Source:
    """An iterator of pages that records how far it has been read and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.produced: list[int] = []
        self.closed = threading.Event()
        self.thread_names: set[str] = set()

    def pages(self) -> Iterator[int]:
        try:
            for number in range(self.count):
                self.thread_names.add(threading.current_thread().name)
                if number == self.fail_at:
                    raise ConnectionError(f"page {number} broke off")
                self.produced.append(number)
                yield number
        finally:
            self.closed.set()


def test_pages_come_in_order_and_are_read_in_another_thread() -> None:
    source = Source(50)

    assert list(prefetched(source.pages(), name="prefetch test")) == list(range(50))
    assert source.thread_names == {"prefetch test"}
    assert source.closed.wait(5)


def test_an_error_while_reading_is_raised_after_the_pages_before_it() -> None:
    source = Source(10, fail_at=3)
    received = []

    with pytest.raises(ConnectionError, match="page 3 broke off"):
        for page in prefetched(source.pages()):
            received.append(page)

    assert received == [0, 1, 2]


def test_reading_runs_at_most_depth_pages_ahead_of_loading() -> None:
    source = Source(100)
    pages = prefetched(source.pages(), depth=2)

    assert next(pages) == 0
    threading.Event().wait(0.3)  # time enough for an unbounded reader to run far ahead
    # 0 was taken; 1 and 2 wait in the queue; 3 is read and waits for room.
    assert source.produced == [0, 1, 2, 3]
    pages.close()


def test_when_loading_stops_early_the_reader_stops_and_closes_its_source() -> None:
    source = Source(1000)

    for page in prefetched(source.pages()):
        if page == 5:
            break

    assert source.closed.wait(5)
    assert len(source.produced) <= 8
