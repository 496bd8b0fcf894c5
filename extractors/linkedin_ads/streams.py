"""LinkedIn streams, declared as data: the ad accounts, their campaigns (names, campaign group, status) and
daily analytics per LinkedIn campaign (pivot CAMPAIGN).

LinkedIn's *campaign group* is what the other platforms call a campaign; its *campaign* is the ad group /
ad set level, and the level our tracking templates put in `utm_campaign` and analytics report by.
`campaigns` gives each its name, which analytics rows do not carry, and its `campaignGroup` URN.
"""

from __future__ import annotations

from extractors.core.reports import SlicedRangeReader, report_stream
from extractors.linkedin_ads.client import SOURCE, TRAILING_DAYS, AccountSearchReader, analytics_query

FIELDS = (
    "dateRange,pivotValues,impressions,clicks,landingPageClicks,costInLocalCurrency,costInUsd,"
    "externalWebsiteConversions"
)

STREAMS = (
    report_stream(
        SOURCE,
        "accounts",
        path="GET /rest/adAccounts?q=search",
        key_fields=(),
        day_field=None,
        reader=None,
    ),
    report_stream(
        SOURCE,
        "campaigns",
        path="GET /rest/adAccounts/{id}/adCampaigns?q=search",
        key_fields=("id",),
        day_field=None,
        reader=AccountSearchReader("adCampaigns"),
    ),
    report_stream(
        SOURCE,
        "campaign_daily",
        path="GET /rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY",
        key_fields=("pivotValues.0",),
        day_field="dateRange.start",
        trailing_days=TRAILING_DAYS,
        reader=SlicedRangeReader(analytics_query("CAMPAIGN", FIELDS)),
    ),
)
