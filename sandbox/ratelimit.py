"""A rolling-window request budget, like HubSpot's TEN_SECONDLY_ROLLING policy."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# What the headers report when no budget is configured: generous, and never enforced.
UNLIMITED = 1_000_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # whole seconds until a slot frees up; 0 when allowed


class RollingWindow:
    """At most ``limit`` accepted requests in any ``window_s`` seconds; ``limit`` None never refuses."""

    def __init__(self, limit: int | None, window_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> Decision:
        """Count one request if the budget allows it; refused requests do not use the budget."""
        with self._lock:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - self.window_s:
                self._accepted.popleft()
            limit = UNLIMITED if self.limit is None else self.limit
            if self.limit is not None and len(self._accepted) >= self.limit:
                wait = self._accepted[0] + self.window_s - now
                return Decision(False, limit, 0, max(1, math.ceil(wait)))
            self._accepted.append(now)
            return Decision(True, limit, max(0, limit - len(self._accepted)), 0)
