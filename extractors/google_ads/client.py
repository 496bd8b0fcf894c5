"""What is special about talking to Google Ads: two credentials, versioned paths, `retryDelay` on quota errors."""

from __future__ import annotations

import re

import requests

from extractors.core.http import RETRYABLE_STATUS, ExtractError
from extractors.core.ratelimit import RateLimiter
from extractors.core.reports import Account, ReportClient, date_option, int_option
from warehouse import config
from warehouse.config import SourceSettings

SOURCE = "google_ads"
API_VERSION = "v21"  # the version segment changes every few months (GOOGLE_ADS_API_VERSION)
TRAILING_DAYS = 14  # conversions are restated for about two weeks (GOOGLE_ADS_TRAILING_DAYS)
# Basic access allows 15,000 operations a day; requests per minute are not published. Stay gentle.
REQUESTS_PER_MINUTE = 300
ACCOUNT_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
    "customer.manager, customer.status FROM customer"
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")  # protobuf Duration JSON: "30s", "1.5s"


def retry_hint(response: requests.Response) -> float | None:
    """`retryDelay` of a RESOURCE_EXHAUSTED quota error (in `error.details[].errors[].details`), in seconds."""
    if response.status_code != 429:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
    for detail in details if isinstance(details, list) else ():
        for error in (detail or {}).get("errors") or ():
            delay = (((error or {}).get("details") or {}).get("quotaErrorDetails") or {}).get("retryDelay")
            match = _DURATION.match(str(delay or ""))
            if match:
                return float(match.group(1))
    return None


def discover(client: ReportClient) -> list[Account]:
    """`customers:listAccessibleCustomers`, then each customer's currency and time zone through GAQL."""
    body = client.get_json(f"/{client.api_version}/customers:listAccessibleCustomers")
    names = body.get("resourceNames") if isinstance(body, dict) else None
    if not isinstance(names, list):
        raise ExtractError(f"{SOURCE}: listAccessibleCustomers answered without resourceNames: {str(body)[:200]}")
    accounts = []
    for name in names:
        customer_id = str(name).rsplit("/", 1)[-1]
        if not customer_id.isdigit():
            continue
        batches = client.post_json(
            f"/{client.api_version}/customers/{customer_id}/googleAds:searchStream", {"query": ACCOUNT_QUERY}
        )
        rows = [row for batch in batches or () for row in batch.get("results") or ()]
        customer = rows[0].get("customer", {}) if rows else {"id": customer_id}
        accounts.append(
            Account(
                id=customer_id,
                currency=customer.get("currencyCode"),
                time_zone=customer.get("timeZone"),
                record=rows[0] if rows else {"customer": customer},
                reports=not customer.get("manager", False),  # manager accounts have no metrics of their own
            )
        )
    return accounts


def make_client(settings: SourceSettings) -> ReportClient:
    developer_token = config.secret(
        "GOOGLE_ADS_DEVELOPER_TOKEN", "export the developer token of your Google Ads API access (API Center)"
    )
    headers = {
        "Authorization": f"Bearer {settings.token}",
        "developer-token": developer_token,
        "Accept": "application/json",
    }
    login_customer_id = config.option("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "").replace("-", "")
    if login_customer_id:
        if not login_customer_id.isdigit():
            raise config.ConfigError("GOOGLE_ADS_LOGIN_CUSTOMER_ID must be a customer id such as 1234567890")
        headers["login-customer-id"] = login_customer_id
    client = ReportClient(
        source=SOURCE,
        base_url=settings.base_url,
        headers=headers,
        credential_setting="GOOGLE_ADS_TOKEN (OAuth access token) and GOOGLE_ADS_DEVELOPER_TOKEN",
        rate_limiter=RateLimiter(
            max_calls=int_option("GOOGLE_ADS_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE), period=60.0
        ),
        retry_status=RETRYABLE_STATUS,
        retry_hint=retry_hint,
        api_version=config.option("GOOGLE_ADS_API_VERSION", API_VERSION),
        discover=discover,
        trailing_days=int_option("GOOGLE_ADS_TRAILING_DAYS", TRAILING_DAYS),
        start_date=date_option("GOOGLE_ADS_START_DATE"),
        days_per_request=int_option("GOOGLE_ADS_DAYS_PER_REQUEST", 90),
    )
    client.retry.max_delay = 120.0  # quota errors ask for up to a minute or two
    return client
