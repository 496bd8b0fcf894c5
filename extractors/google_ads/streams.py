"""Google Ads streams, declared as data: GAQL per resource, one row per (account, campaign/ad group, day)."""

from __future__ import annotations

from extractors.core.reports import SearchStreamReader, report_stream
from extractors.google_ads.client import ACCOUNT_QUERY, SOURCE, TRAILING_DAYS

# Daily facts only: statuses are today's, not the day's, and would differ between re-reads of old days.
METRICS = "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value"
DATES = "WHERE segments.date BETWEEN '{since}' AND '{until}'"
SEARCH_STREAM = "POST /{version}/customers/{id}/googleAds:searchStream"

STREAMS = (
    report_stream(
        SOURCE,
        "accounts",
        path=f"GET /{{version}}/customers:listAccessibleCustomers + {SEARCH_STREAM} ({ACCOUNT_QUERY})",
        key_fields=(),
        day_field=None,
        reader=None,
    ),
    report_stream(
        SOURCE,
        "campaign_daily",
        path=SEARCH_STREAM,
        key_fields=("campaign.id",),
        day_field="segments.date",
        trailing_days=TRAILING_DAYS,
        reader=SearchStreamReader(
            "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, "
            f"segments.date, {METRICS} FROM campaign {DATES}"
        ),
    ),
    report_stream(
        SOURCE,
        "ad_group_daily",
        path=SEARCH_STREAM,
        key_fields=("adGroup.id",),
        day_field="segments.date",
        trailing_days=TRAILING_DAYS,
        reader=SearchStreamReader(
            "SELECT customer.id, customer.currency_code, campaign.id, ad_group.id, ad_group.name, "
            f"segments.date, {METRICS} FROM ad_group {DATES}"
        ),
    ),
)
