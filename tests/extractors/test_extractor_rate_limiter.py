"""The client-side RateLimiter on a fake clock: bursts pass, the next call waits, no window ever overflows."""

from __future__ import annotations

import random

from extractors.core.http import HttpClient
from extractors.core.ratelimit import RateLimiter
from tests.extractors.scripted_server import json_reply, scripted_server


class FakeClock:
    """Monotonic time that only moves when someone sleeps or the test lets it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the limiter should only sleep when it must"
        self.sleeps.append(seconds)
        self.now += seconds


def limiter_on(clock: FakeClock, max_calls: int, period: float) -> RateLimiter:
    return RateLimiter(max_calls=max_calls, period=period, clock=clock, sleep=clock.sleep)


def test_a_burst_of_max_calls_passes_without_waiting() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, max_calls=5, period=10.0)

    for _ in range(5):
        limiter.acquire()
    assert clock.sleeps == []


def test_the_call_after_a_full_burst_waits_until_the_oldest_leaves_the_window() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, max_calls=3, period=10.0)
    for gap in (0.0, 2.0, 2.0):  # calls at 1000, 1002, 1004
        clock.now += gap
        limiter.acquire()

    clock.now += 1.0  # 1005: the window still holds three calls; the oldest leaves at 1010
    limiter.acquire()
    assert clock.now == 1_010.0
    assert sum(clock.sleeps) == 5.0


def test_never_more_than_max_calls_in_any_window() -> None:
    max_calls, period = 5, 10.0
    clock = FakeClock()
    limiter = limiter_on(clock, max_calls=max_calls, period=period)
    arrivals = random.Random(20260105)
    granted: list[float] = []
    for _ in range(500):
        clock.now += arrivals.choice((0.0, 0.0, 0.1, 0.7, 1.9, 3.0, 12.5))
        limiter.acquire()
        granted.append(clock.now)

    assert clock.sleeps, "the arrivals should be dense enough to make the limiter wait"
    # Any max_calls + 1 consecutive grants span at least one whole period.
    spans = [granted[i + max_calls] - granted[i] for i in range(len(granted) - max_calls)]
    assert min(spans) >= period - 1e-9


def test_an_endpoint_with_a_budget_of_its_own_waits_on_it_and_other_endpoints_do_not() -> None:
    clock = FakeClock()
    overall = limiter_on(clock, max_calls=100, period=10.0)
    search = limiter_on(clock, max_calls=2, period=1.0)
    with scripted_server() as server:
        server.answer(*(json_reply(200, {"results": []}) for _ in range(6)))
        client = HttpClient(
            source="scripted",
            base_url=server.url,
            headers={},
            credential_setting="SCRIPTED_TOKEN",
            rate_limiter=overall,
            path_limiters={"/search": search},
        )
        for path in ("/things", "/things/search", "/things/search?x=1", "/things", "/things/search/", "/things"):
            client.get_json(path)

    assert len(server.paths) == 6
    assert clock.sleeps == [1.0]  # the third search waited out the search window; the lists never waited
    assert len(overall._sent) == 6 and len(search._sent) == 1
