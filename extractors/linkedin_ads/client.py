"""What is special about talking to LinkedIn's Marketing API: the version header, Rest.li 2.0 query syntax
(`List(...)`, `(start:(year:..))`, URNs percent-encoded inside), analytics without paging, and search finders
(ad accounts, campaigns) paged by cursor since version 202401 (`pageSize`, then `pageToken` set to the previous
answer's `metadata.nextPageToken` until there is none)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import requests

from extractors.core.http import RETRYABLE_STATUS
from extractors.core.pagination import Page, results_of
from extractors.core.ratelimit import RateLimiter
from extractors.core.reports import Account, Day, ReportClient, date_option, int_option, with_account
from warehouse import config
from warehouse.config import SourceSettings

SOURCE = "linkedin_ads"
API_VERSION = "202601"  # LinkedIn-Version: YYYYMM; each version lives about a year (LINKEDIN_ADS_API_VERSION)
TRAILING_DAYS = 10  # LINKEDIN_ADS_TRAILING_DAYS
MAX_ELEMENTS = 15_000  # adAnalytics answers are cut silently beyond this (LINKEDIN_ADS_MAX_ELEMENTS)
REQUESTS_PER_MINUTE = 300  # no per-minute figure is published; daily application limits apply
PAGE_SIZE = 100


def fatal(response: requests.Response) -> str | None:
    """426: the LinkedIn-Version header is missing or no longer served; only a setting change helps."""
    if response.status_code != 426:
        return None
    return "the API does not serve this LinkedIn-Version; set LINKEDIN_ADS_API_VERSION to an active YYYYMM version"


def restli_date(day: Day) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def analytics_query(pivot: str, fields: str):
    """adAnalytics for one account, one date range, daily, in Rest.li 2.0 syntax (kept unencoded by requests)."""

    def query(client: ReportClient, account: Account, since: Day, until: Day) -> str:
        urn = quote(f"urn:li:sponsoredAccount:{account.id}", safe="")
        return (
            f"/rest/adAnalytics?q=analytics&pivot={pivot}&timeGranularity=DAILY"
            f"&dateRange=(start:{restli_date(since)},end:{restli_date(until)})"
            f"&accounts=List({urn})&fields={fields}"
        )

    return query


def search_pages(client: ReportClient, path: str, params: Mapping[str, str] | None = None) -> Iterator[Page]:
    """Every page of a search finder (`q=search`), following `metadata.nextPageToken`."""
    query = {"q": "search", "pageSize": str(PAGE_SIZE), **(params or {})}
    number = 0
    while True:
        number += 1
        body = client.get_json(path, query)
        yield Page(number, results_of(body, "elements", client, path, number), client.url(path))
        token = ((body.get("metadata") or {}) if isinstance(body, dict) else {}).get("nextPageToken")
        if not token:
            return
        query = {**query, "pageToken": token}


def discover(client: ReportClient) -> list[Account]:
    """`adAccounts?q=search`, every page. LinkedIn reports every account's days in UTC."""
    return [
        Account(str(element.get("id")), element.get("currency"), "UTC", element)
        for page in search_pages(client, "/rest/adAccounts")
        for element in page.records
    ]


@dataclass(frozen=True)
class AccountSearchReader:
    """A search finder under each ad account (`/rest/adAccounts/{id}/adCampaigns`): all of it, whatever the days."""

    resource: str

    def pages(self, client: ReportClient, account: Account, since: Day, until: Day) -> Iterator[Page]:
        for page in search_pages(client, f"/rest/adAccounts/{account.id}/{self.resource}"):
            yield Page(page.number, with_account(page.records, account), page.url)


def make_client(settings: SourceSettings) -> ReportClient:
    version = config.option("LINKEDIN_ADS_API_VERSION", API_VERSION)
    return ReportClient(
        source=SOURCE,
        base_url=settings.base_url,
        headers={
            "Authorization": f"Bearer {settings.token}",
            "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0",
            "Accept": "application/json",
        },
        credential_setting="LINKEDIN_ADS_TOKEN",
        rate_limiter=RateLimiter(
            max_calls=int_option("LINKEDIN_ADS_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE), period=60.0
        ),
        retry_status=RETRYABLE_STATUS,  # 429 with or without Retry-After: backoff with jitter
        fatal=fatal,
        api_version=version,
        discover=discover,
        trailing_days=int_option("LINKEDIN_ADS_TRAILING_DAYS", TRAILING_DAYS),
        start_date=date_option("LINKEDIN_ADS_START_DATE"),
        max_elements=int_option("LINKEDIN_ADS_MAX_ELEMENTS", MAX_ELEMENTS),
    )
