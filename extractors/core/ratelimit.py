"""A client-side rate limiter: at most `max_calls` requests in any rolling `period` seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    max_calls: int
    period: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        acquire_all((self,))

    def _delay(self) -> float:
        """Seconds until one more request fits (0: now); forgets the requests that left the window."""
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.period:
            self._sent.popleft()
        return 0.0 if len(self._sent) < self.max_calls else self.period - (now - self._sent[0])

    def _count(self) -> None:
        self._sent.append(self.clock())


def acquire_all(limiters: Sequence[RateLimiter]) -> None:
    """Block until one more request fits every limiter at once, then count it in each, at that instant.

    Waiting on one limiter after counting in another would count the request there too early: its slot
    would free up before the server's does (HubSpot's search budget of 5 per second has no room for that).
    """
    while True:
        with ExitStack() as held:
            for limiter in limiters:
                held.enter_context(limiter._lock)
            delays = [limiter._delay() for limiter in limiters]
            longest = max(delays, default=0.0)
            if longest <= 0:
                for limiter in limiters:
                    limiter._count()
                return
        limiters[delays.index(longest)].sleep(longest)
