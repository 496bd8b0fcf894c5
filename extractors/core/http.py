"""One HTTP client per source: connection reuse, timeouts, retries with backoff, a rate budget.

Retried: 429, 5xx, connection errors, timeouts and bodies that are not valid JSON (a truncated page).
A `Retry-After` header (seconds or an HTTP date) wins over the computed backoff. 401/403 fail at once
with a message naming the credential to fix; other 4xx fail at once with the API's own message.
Errors name the source, the URL without its query string, and never the token.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from extractors.core.ratelimit import RateLimiter

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 524})


class ExtractError(RuntimeError):
    """A request failed for good; the message says which source, URL and what to do."""


class AuthError(ExtractError):
    """The API rejected the credential (401/403): retrying would not help."""


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, unless the server said how long to wait."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))  # noqa: S311 - jitter, not crypto


@dataclass
class HttpClient:
    """Session, timeouts, retry policy and rate limit for one source and credential."""

    source: str
    base_url: str
    headers: Mapping[str, str]
    credential_setting: str
    timeout: tuple[float, float] = (5.0, 60.0)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limiter: RateLimiter | None = None
    session: requests.Session = field(default_factory=requests.Session)
    retries: int = 0
    requests_sent: int = 0

    def __post_init__(self) -> None:
        self.session.headers.update(self.headers)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` (relative to the base URL, or a full URL from a paging link) and decode its JSON body."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        last_problem = ""
        for attempt in range(self.retry.max_attempts):
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            self.requests_sent += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}"
                self._wait_before_retry(attempt, None, url, last_problem)
                continue
            if response.status_code in (401, 403):
                raise AuthError(
                    f"{self.source}: {response.status_code} from {_public(url)}: the API rejected the credential; "
                    f"check {self.credential_setting} ({_api_message(response)})"
                )
            if response.status_code in RETRYABLE_STATUS:
                last_problem = f"HTTP {response.status_code} {_api_message(response)}"
                self._wait_before_retry(attempt, _retry_after_seconds(response), url, last_problem)
                continue
            if response.status_code >= 400:
                raise ExtractError(
                    f"{self.source}: HTTP {response.status_code} from {_public(url)}: {_api_message(response)}"
                )
            try:
                return response.json()
            except ValueError:
                last_problem = "response body is not valid JSON (truncated page?)"
                self._wait_before_retry(attempt, None, url, last_problem)
        raise ExtractError(
            f"{self.source}: giving up on {_public(url)} after {self.retry.max_attempts} attempts: {last_problem}"
        )

    def _wait_before_retry(self, attempt: int, retry_after: float | None, url: str, problem: str) -> None:
        if attempt + 1 >= self.retry.max_attempts:
            return
        self.retries += 1
        delay = self.retry.delay(attempt, retry_after)
        log.warning("%s: %s from %s; retry %d in %.1fs", self.source, problem, _public(url), attempt + 1, delay)
        self.retry.sleep(delay)


def _public(url: str) -> str:
    """The URL without its query string: query strings can carry tokens (Meta's access_token)."""
    return url.split("?", 1)[0]


def _api_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(body)[:300]


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
