"""What is special about talking to HubSpot: the bearer token, its request budget and its retry advice."""

from __future__ import annotations

import requests

from extractors.core.http import RETRYABLE_STATUS, HttpClient
from extractors.core.ratelimit import RateLimiter
from warehouse.config import SourceSettings

# Free/Starter portals allow 100 requests per rolling 10 s; stay a little under it.
REQUESTS_PER_TEN_SECONDS = 90
# Search has its own policy (SECONDLY: 5 requests a second per token); keep one in hand.
SEARCH_PER_SECOND = 4

# A 429 carries `Retry-After` only sometimes; its body always names the policy that refused the request,
# and waiting out that policy's window is HubSpot's own advice. A DAILY refusal is not worth waiting for.
POLICY_WINDOW_SECONDS = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}
# 423 Locked: the portal is busy with the same records; HubSpot asks for at least 2 s before retrying.
LOCKED_WAIT_SECONDS = 2.0


def retry_hint(response: requests.Response) -> float | None:
    """Seconds HubSpot advises waiting before retrying `response`, when it sent no `Retry-After`."""
    if response.status_code == 423:
        return LOCKED_WAIT_SECONDS
    if response.status_code != 429:
        return None
    return POLICY_WINDOW_SECONDS.get(str(_policy(response)))


def fatal(response: requests.Response) -> str | None:
    """A 429 under HubSpot's DAILY policy: the quota resets at midnight, so no retry within a run can help."""
    if response.status_code != 429 or _policy(response) != "DAILY":
        return None
    return (
        "HubSpot's DAILY request limit for this account is spent (policy DAILY); waiting will not help within "
        "this run: rerun after the daily reset (midnight in the account's time zone) or raise the limit"
    )


def _policy(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("policyName")) if isinstance(body, dict) else None


def make_client(settings: SourceSettings) -> HttpClient:
    return HttpClient(
        source="hubspot",
        base_url=settings.base_url,
        headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
        credential_setting="HUBSPOT_TOKEN",
        rate_limiter=RateLimiter(max_calls=REQUESTS_PER_TEN_SECONDS, period=10.0),
        path_limiters={"/search": RateLimiter(max_calls=SEARCH_PER_SECOND, period=1.0)},
        retry_status=RETRYABLE_STATUS | {423},
        retry_hint=retry_hint,
        fatal=fatal,
    )
