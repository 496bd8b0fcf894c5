"""What is special about talking to Meta's Graph API: errors (throttling included) arrive as HTTP 400 with a
code, throttling advice sits in usage headers, and a bad token is a 400 too (code 190)."""

from __future__ import annotations

import json

import requests

from extractors.core.http import RETRYABLE_STATUS, AuthError, ExtractError, public_url
from extractors.core.ratelimit import RateLimiter
from extractors.core.reports import (
    Account,
    NextLinkPaginator,
    ReportClient,
    date_option,
    int_option,
    seconds_option,
)
from warehouse import config
from warehouse.config import SourceSettings

SOURCE = "meta_ads"
API_VERSION = "v21.0"  # META_ADS_API_VERSION
TRAILING_DAYS = 7  # attribution restates about a week (META_ADS_TRAILING_DAYS; up to 28 with long windows)
# Insights are kept 37 months; read two years on a first run unless META_ADS_START_DATE says otherwise.
HISTORY_DAYS = 730
# Rate limiting codes (retry after the advised wait): 4 app, 17 user, 613 calls, 80000-80004 business use case.
THROTTLE_CODES = frozenset({4, 17, 613, 80000, 80001, 80002, 80003, 80004})
AUTH_CODES = frozenset({102, 104, 190})  # session / missing token / invalid or expired token
DEFAULT_THROTTLE_WAIT = 60.0  # seconds, when the usage headers give no time to regain access
REQUESTS_PER_MINUTE = 200


def _error(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _header_json(response: requests.Response, name: str) -> object:
    try:
        return json.loads(response.headers.get(name) or "null")
    except ValueError:
        return None


def retry_hint(response: requests.Response) -> float | None:
    """Seconds until access returns, from `X-Ad-Account-Usage.reset_time_duration` (seconds) and
    `X-Business-Use-Case-Usage[*][*].estimated_time_to_regain_access` (minutes); the longest wins."""
    if _error(response).get("code") not in THROTTLE_CODES:
        return None
    waits = []
    account = _header_json(response, "X-Ad-Account-Usage")
    if isinstance(account, dict) and isinstance(account.get("reset_time_duration"), int | float):
        waits.append(float(account["reset_time_duration"]))
    business = _header_json(response, "X-Business-Use-Case-Usage")
    for entries in business.values() if isinstance(business, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
            if isinstance(minutes, int | float):
                waits.append(60.0 * minutes)
    wait = max(waits, default=0.0)
    return wait if wait > 0 else DEFAULT_THROTTLE_WAIT


def fatal(response: requests.Response) -> str | None:
    """Graph answers 400 for nearly everything: only the throttling codes are worth retrying."""
    if response.status_code != 400:
        return None
    error = _error(response)
    code = error.get("code")
    if code in THROTTLE_CODES:
        return None
    message = str(error.get("message") or response.text[:200])[:300]
    if code in AUTH_CODES:
        raise AuthError(
            f"{SOURCE}: 400 (code {code}) from {public_url(response.url)}: the API rejected the credential; "
            f"check META_ADS_TOKEN ({message})"
        )
    return f"Graph API error code {code}: {message}"


def discover(client: ReportClient) -> list[Account]:
    """`me/adaccounts` with the fields the warehouse needs (currency, time zone), following next links."""
    params = {"fields": "id,account_id,name,currency,timezone_name", "limit": "100"}
    accounts = []
    for page in NextLinkPaginator().pages(client, f"/{client.api_version}/me/adaccounts", params):
        for node in page.records:
            account_id = str(node.get("account_id") or str(node.get("id", "")).removeprefix("act_"))
            if not account_id.isdigit():
                raise ExtractError(f"{SOURCE}: me/adaccounts listed an account without a numeric id: {node}")
            accounts.append(Account(account_id, node.get("currency"), node.get("timezone_name"), node))
    return accounts


def make_client(settings: SourceSettings) -> ReportClient:
    client = ReportClient(
        source=SOURCE,
        base_url=settings.base_url,
        # Bearer rather than `access_token=`: query strings end up in paging links and proxy logs.
        headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
        credential_setting="META_ADS_TOKEN",
        rate_limiter=RateLimiter(
            max_calls=int_option("META_ADS_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE), period=60.0
        ),
        retry_status=RETRYABLE_STATUS | {400},  # 400 only gets this far for the throttling codes (see `fatal`)
        retry_hint=retry_hint,
        fatal=fatal,
        api_version=config.option("META_ADS_API_VERSION", API_VERSION),
        discover=discover,
        trailing_days=int_option("META_ADS_TRAILING_DAYS", TRAILING_DAYS),
        start_date=date_option("META_ADS_START_DATE"),
        history_days=HISTORY_DAYS,
        async_after_days=int_option("META_ADS_ASYNC_AFTER_DAYS", 31),
        days_per_request=int_option("META_ADS_DAYS_PER_REPORT", 366),  # one async report run per year of days
        poll_first_wait=seconds_option("META_ADS_POLL_SECONDS", 0.5),
    )
    client.retry.max_delay = 900.0  # Meta's throttles last minutes, not seconds
    return client
