"""What is special about talking to HubSpot: the bearer token and its documented request budget."""

from __future__ import annotations

from extractors.core.http import HttpClient
from extractors.core.ratelimit import RateLimiter
from warehouse.config import SourceSettings

# Free/Starter portals allow 100 requests per rolling 10 s; stay a little under it.
REQUESTS_PER_TEN_SECONDS = 90


def make_client(settings: SourceSettings) -> HttpClient:
    return HttpClient(
        source="hubspot",
        base_url=settings.base_url,
        headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
        credential_setting="HUBSPOT_TOKEN",
        rate_limiter=RateLimiter(max_calls=REQUESTS_PER_TEN_SECONDS, period=10.0),
    )
