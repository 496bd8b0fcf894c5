"""One HTTP client per source: connection reuse, timeouts, retries with backoff, a rate budget.

Retried: 429, 5xx, connection errors, timeouts and bodies that are cut off or not valid JSON (a truncated
page). A `Retry-After` header (seconds or an HTTP date) wins over the computed backoff; without one, the
source's `retry_hint` (the API's own advice, e.g. the window of the rate-limit policy it names) does.
401/403 fail at once with a message naming the credential to fix; other 4xx fail at once with the API's
own message; so does anything the source's `fatal` check recognises (HubSpot's DAILY quota). Errors name
the source, the URL without its query string, and never the token.
"""

from __future__ import annotations

import codecs
import datetime
import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import requests

from extractors.core.ratelimit import RateLimiter, acquire_all

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 524})

# How long the API asks to wait before retrying this response (None: no advice), for when `Retry-After` is absent.
RetryHint = Callable[[requests.Response], float | None]

# Why retrying `response` cannot help (e.g. a daily quota is spent), or None when a retry may.
FatalCheck = Callable[[requests.Response], str | None]

# The body stopped short of its Content-Length, or its encoding broke: a truncated page, worth reading again.
_BROKEN_BODY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)

_DECODE = msgspec.json.Decoder().decode


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
    clock: Callable[[], float] = time.time  # wall clock, to turn a `Retry-After` HTTP date into seconds

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
    # Budgets of their own for some endpoints, by the end of their path (HubSpot: search, 5 per second).
    path_limiters: Mapping[str, RateLimiter] = field(default_factory=dict)
    retry_status: frozenset[int] = RETRYABLE_STATUS
    retry_hint: RetryHint | None = None
    fatal: FatalCheck | None = None
    session: requests.Session = field(default_factory=requests.Session)
    retries: int = 0
    requests_sent: int = 0

    def __post_init__(self) -> None:
        self.session.headers.update(self.headers)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` (relative to the base URL, or a full URL from a paging link) and decode its JSON body."""
        return self.request_json("GET", path, params=params)

    def post_json(self, path: str, body: Any) -> Any:
        """POST a JSON body to `path` (search, batch reads) and decode the JSON answer."""
        return self.request_json("POST", path, body=body)

    def url(self, path: str) -> str:
        """The absolute URL of `path` (already absolute URLs, e.g. paging links, are kept)."""
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request_json(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """Send one request, retrying what is worth retrying, and decode its JSON body."""
        url = self.url(path)
        last_problem = ""
        for attempt in range(self.retry.max_attempts):
            self._acquire(url)
            self.requests_sent += 1
            try:
                response = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout, *_BROKEN_BODY) as exc:
                last_problem = _describe(exc)
                self._wait_before_retry(attempt, None, url, last_problem)
                continue
            except requests.RequestException as exc:
                # Not transient (an invalid URL, too many redirects); requests' own message shows the query string.
                raise ExtractError(f"{self.source}: request to {public_url(url)} failed: {_describe(exc)}") from None
            self._raise_if_fatal(response, url)
            if response.status_code in self.retry_status:
                last_problem = f"HTTP {response.status_code} {_api_message(response)}"
                self._wait_before_retry(attempt, self._server_wait(response), url, last_problem)
                continue
            if response.status_code >= 400:
                raise ExtractError(
                    f"{self.source}: HTTP {response.status_code} from {public_url(url)}: {_api_message(response)}"
                )
            try:
                return decode_json(response.content)
            except ValueError:
                last_problem = "response body is not valid JSON (truncated page?)"
                self._wait_before_retry(attempt, None, url, last_problem)
        raise ExtractError(
            f"{self.source}: giving up on {public_url(url)} after {self.retry.max_attempts} attempts: {last_problem}"
        )

    def _acquire(self, url: str) -> None:
        """Wait until the request fits the client's budget and its endpoint's, if it has one of its own."""
        path = public_url(url).rstrip("/")
        limiters = [limiter for suffix, limiter in self.path_limiters.items() if path.endswith(suffix)]
        if self.rate_limiter is not None:
            limiters.append(self.rate_limiter)
        if limiters:
            acquire_all(limiters)

    def _raise_if_fatal(self, response: requests.Response, url: str) -> None:
        """401/403, and whatever the API's own `fatal` check says waiting will not fix, fail at once."""
        if response.status_code in (401, 403):
            raise AuthError(
                f"{self.source}: {response.status_code} from {public_url(url)}: the API rejected the credential; "
                f"check {self.credential_setting} ({_api_message(response)})"
            )
        advice = self.fatal(response) if self.fatal is not None else None
        if advice is not None:
            raise ExtractError(f"{self.source}: HTTP {response.status_code} from {public_url(url)}: {advice}")

    def _server_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait: `Retry-After` first, then the API's own hint."""
        seconds = _retry_after_seconds(response, self.retry.clock)
        if seconds is None and self.retry_hint is not None:
            seconds = self.retry_hint(response)
        return seconds

    def _wait_before_retry(self, attempt: int, retry_after: float | None, url: str, problem: str) -> None:
        if attempt + 1 >= self.retry.max_attempts:
            return
        self.retries += 1
        delay = self.retry.delay(attempt, retry_after)
        log.warning("%s: %s from %s; retry %d in %.1fs", self.source, problem, public_url(url), attempt + 1, delay)
        self.retry.sleep(delay)


def decode_json(body: bytes) -> Any:
    """A JSON body as Python values; ValueError when it is not JSON (or was cut off).

    msgspec decodes a page about twice as fast as `json` (`bench/loader_copy.py`). JSON on the wire is
    UTF-8 (RFC 8259); a byte order mark, which some servers still send, is skipped.
    """
    return _DECODE(body[3:] if body.startswith(codecs.BOM_UTF8) else body)


def public_url(url: str) -> str:
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


def _describe(exc: requests.RequestException) -> str:
    """What went wrong, without the URL: requests' own messages repeat it with its query string."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the response"
    if isinstance(exc, _BROKEN_BODY):
        return "the connection broke off before the whole body arrived (truncated page)"
    # The operating system's reason ("Connection refused", "Name or service not known") sits a few
    # wrappers down: requests' ConnectionError -> urllib3's MaxRetryError -> NewConnectionError -> OSError.
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        error = pending.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, OSError) and error.strerror:
            prefix = "could not connect" if isinstance(exc, requests.ConnectionError) else type(exc).__name__
            return f"{prefix}: {error.strerror}"
        causes = (*error.args, getattr(error, "reason", None), error.__cause__, error.__context__)
        pending += [cause for cause in causes if isinstance(cause, BaseException)]
    if isinstance(exc, requests.ConnectionError):
        return "the connection failed or was dropped"
    return type(exc).__name__


def _retry_after_seconds(response: requests.Response, clock: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` as seconds from now: it is either a number of seconds or an HTTP date."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - clock())
