"""Meta streams, declared as data: insights per level, one row per (account, campaign/ad set, day)."""

from __future__ import annotations

from extractors.core.reports import InsightsReader, report_stream
from extractors.meta_ads.client import SOURCE, TRAILING_DAYS

COMMON = "account_id,account_currency,campaign_id,campaign_name,objective,spend,impressions,clicks,actions"
INSIGHTS = "GET|POST /{version}/act_{id}/insights (async: GET /{report_run_id}, /{report_run_id}/insights)"

STREAMS = (
    report_stream(
        SOURCE,
        "accounts",
        path="GET /{version}/me/adaccounts?fields=id,account_id,name,currency,timezone_name",
        key_fields=(),
        day_field=None,
        reader=None,
    ),
    report_stream(
        SOURCE,
        "campaign_daily",
        path=INSIGHTS,
        key_fields=("campaign_id",),
        day_field="date_start",
        trailing_days=TRAILING_DAYS,
        reader=InsightsReader({"level": "campaign", "fields": COMMON}),
    ),
    report_stream(
        SOURCE,
        "adset_daily",
        path=INSIGHTS,
        key_fields=("adset_id",),
        day_field="date_start",
        trailing_days=TRAILING_DAYS,
        reader=InsightsReader({"level": "adset", "fields": f"{COMMON},adset_id,adset_name"}),
    ),
)
