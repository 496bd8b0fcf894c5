"""Google Ads emulation: auth, discovery, GAQL, searchStream batches, error shapes and the quota error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sandbox.hubspot_client import TOKEN, Client

HEADERS = {"Authorization": f"Bearer {TOKEN}", "developer-token": TOKEN}
CAMPAIGN_DAYS = (
    "SELECT campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.clicks, metrics.impressions, "
    "metrics.conversions FROM campaign WHERE segments.date BETWEEN '2026-01-01' AND '2026-03-31'"
)


@pytest.fixture(scope="module")
def google(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "7", "--scale", "20", "--google-ads-batch-size", "50")


def search(client: Client, customer: str, query: str, headers: dict | None = None, version: str = "v21"):
    url = f"{client.url}/{version}/customers/{customer}/googleAds:searchStream"
    return client.session.post(url, json={"query": query}, headers=headers or HEADERS, timeout=10)


def test_auth_failures_answer_googles_401_bodies(google: Client) -> None:
    missing = search(google, "1234567890", CAMPAIGN_DAYS, headers={"developer-token": TOKEN})
    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    wrong = search(google, "1234567890", CAMPAIGN_DAYS, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    (failure,) = wrong.json()["error"]["details"][0]["errors"]
    assert failure["errorCode"] == {"authenticationError": "OAUTH_TOKEN_INVALID"}
    no_developer_token = search(google, "1234567890", CAMPAIGN_DAYS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert no_developer_token.status_code == 401
    assert no_developer_token.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "authenticationError": "DEVELOPER_TOKEN_INVALID"
    }


def test_discovery_lists_customers_with_their_currency_and_time_zone(google: Client) -> None:
    listed = google.session.get(f"{google.url}/v21/customers:listAccessibleCustomers", headers=HEADERS, timeout=10)
    assert listed.status_code == 200
    names = listed.json()["resourceNames"]
    assert names == ["customers/1234567890", "customers/2345678901"]
    seen = {}
    for name in names:
        customer = name.split("/")[1]
        query = "SELECT customer.id, customer.currency_code, customer.time_zone FROM customer"
        (batch,) = search(google, customer, query).json()
        (row,) = batch["results"]
        assert row["customer"]["id"] == customer
        seen[row["customer"]["currencyCode"]] = row["customer"]["timeZone"]
    assert seen == {"USD": "America/New_York", "EUR": "Europe/Berlin"}


def test_search_stream_is_batched_with_int64_strings(google: Client) -> None:
    response = search(google, "1234567890", CAMPAIGN_DAYS)
    assert response.status_code == 200
    batches = response.json()
    assert isinstance(batches, list) and len(batches) > 2
    assert all(len(batch["results"]) <= 50 for batch in batches)
    assert {batch["requestId"] for batch in batches} == {batches[0]["requestId"]}
    assert batches[0]["fieldMask"] == (
        "campaign.id,campaign.name,segments.date,metrics.costMicros,metrics.clicks,metrics.impressions,"
        "metrics.conversions"
    )
    rows = [row for batch in batches for row in batch["results"]]
    for row in rows:
        assert row["campaign"]["resourceName"] == f"customers/1234567890/campaigns/{row['campaign']['id']}"
        for name in ("costMicros", "clicks", "impressions"):
            assert isinstance(row["metrics"][name], str) and row["metrics"][name].isdigit()
        assert isinstance(row["campaign"]["id"], str)
        assert isinstance(row["metrics"]["conversions"], float)
    assert min(row["segments"]["date"] for row in rows) == "2026-01-05"  # the story epoch
    assert max(row["segments"]["date"] for row in rows) == "2026-03-28"  # New York's 29th ends after now


def test_ad_groups_add_up_to_their_campaigns(google: Client) -> None:
    where = "WHERE segments.date BETWEEN '2026-02-01' AND '2026-02-28'"
    campaigns = search(google, "2345678901", f"SELECT campaign.id, metrics.cost_micros FROM campaign {where}").json()
    groups = search(
        google, "2345678901", f"SELECT campaign.id, ad_group.id, metrics.cost_micros FROM ad_group {where}"
    ).json()
    by_campaign = {row["campaign"]["id"]: int(row["metrics"]["costMicros"]) for b in campaigns for row in b["results"]}
    summed: dict[str, int] = {}
    for batch in groups:
        for row in batch["results"]:
            assert row["adGroup"]["resourceName"].startswith("customers/2345678901/adGroups/")
            summed[row["campaign"]["id"]] = summed.get(row["campaign"]["id"], 0) + int(row["metrics"]["costMicros"])
    assert summed == by_campaign


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT campaign.id, campaign.bogus FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT campaign.id FROM keyword_view", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
        ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-1-1' AND '2026-01-31'",
            "INVALID_DATE_FORMAT",
        ),
    ],
)
def test_bad_queries_get_the_real_400_shape(google: Client, query: str, code: str) -> None:
    response = search(google, "1234567890", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    (detail,) = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure"
    assert detail["errors"][0]["errorCode"] == {"queryError": code}


def test_version_segment_unknown_customer_and_unknown_paths(google: Client) -> None:
    assert search(google, "1234567890", CAMPAIGN_DAYS, version="v20").status_code == 200
    denied = search(google, "9999999999", CAMPAIGN_DAYS)
    assert denied.status_code == 403
    assert denied.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "authorizationError": "USER_PERMISSION_DENIED"
    }
    for path in ("/v21/customers/1234567890/campaigns", "/v21/nothing", "/vx/customers"):
        response = google.session.get(google.url + path, headers=HEADERS, timeout=10)
        assert response.status_code == 404
        assert response.json()["error"]["status"] == "NOT_FOUND"


def test_status_filter_order_and_limit(google: Client) -> None:
    query = (
        "SELECT campaign.id, campaign.status, metrics.cost_micros FROM campaign "
        "WHERE segments.date DURING LAST_30_DAYS AND campaign.status = 'ENABLED' "
        "ORDER BY metrics.cost_micros DESC LIMIT 2"
    )
    (batch,) = search(google, "1234567890", query).json()
    rows = batch["results"]
    assert len(rows) == 2
    assert {row["campaign"]["status"] for row in rows} == {"ENABLED"}
    assert int(rows[0]["metrics"]["costMicros"]) >= int(rows[1]["metrics"]["costMicros"])


def test_quota_exhaustion_is_a_429_resource_exhausted_with_retry_delay(start_sandbox: Callable[..., Client]) -> None:
    limited = start_sandbox("--seed", "7", "--scale", "20", "--google-ads-quota", "2")
    query = "SELECT customer.id FROM customer"
    assert [search(limited, "1234567890", query).status_code for _ in range(2)] == [200, 200]
    refused = search(limited, "1234567890", query)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    (failure,) = error["details"][0]["errors"]
    assert failure["errorCode"] == {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}
    delay = failure["details"]["quotaErrorDetails"]["retryDelay"]
    assert delay.endswith("s") and 1 <= int(delay[:-1]) <= 60
