"""Meta Marketing API emulation: auth, discovery, sync insights with cursors, the async job, throttling."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from tests.sandbox.hubspot_client import TOKEN, Client

EU = "act_101000000000002"
MARCH = json.dumps({"since": "2026-03-01", "until": "2026-03-31"})
FIELDS = "campaign_id,campaign_name,spend,impressions,clicks,actions"


@pytest.fixture(scope="module")
def meta(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "7", "--scale", "20")


def get(client: Client, path: str, token: str | None = TOKEN, **params: object) -> requests.Response:
    if token is not None:
        params["access_token"] = token
    return client.session.get(f"{client.url}/v21.0/{path}", params=params, timeout=10)


def walk(client: Client, first: requests.Response) -> list[dict]:
    rows, page = [], first
    while True:
        assert page.status_code == 200, page.text
        body = page.json()
        rows.extend(body["data"])
        if "next" not in body.get("paging", {}):
            return rows
        assert body["paging"]["cursors"]["after"]
        page = client.session.get(body["paging"]["next"], timeout=10)


def test_token_errors_are_graph_oauth_exceptions(meta: Client) -> None:
    missing = get(meta, f"{EU}/insights", token=None)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == 104
    wrong = get(meta, f"{EU}/insights", token="nope")
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["type"] == "OAuthException" and error["code"] == 190 and error["fbtrace_id"]
    bearer = meta.session.get(f"{meta.url}/v21.0/{EU}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bearer.status_code == 200 and bearer.json()["id"] == EU


def test_discovery_lists_ad_accounts_with_currency_and_time_zone(meta: Client) -> None:
    response = get(meta, "me/adaccounts", fields="account_id,currency,timezone_name")
    assert response.status_code == 200
    accounts = {row["account_id"]: (row["currency"], row["timezone_name"]) for row in response.json()["data"]}
    assert accounts == {
        "101000000000001": ("USD", "America/Los_Angeles"),
        "101000000000002": ("EUR", "Europe/Amsterdam"),
        "101000000000003": ("GBP", "Europe/London"),
    }
    assert "next" not in response.json()["paging"]


def test_sync_insights_page_with_cursors_and_string_numbers(meta: Client) -> None:
    params = {"level": "campaign", "fields": FIELDS, "time_range": MARCH, "time_increment": "1"}
    everything = get(meta, f"{EU}/insights", limit=5000, **params).json()
    assert "next" not in everything["paging"]
    first = get(meta, f"{EU}/insights", limit=7, **params)
    assert "next" in first.json()["paging"] and len(first.json()["data"]) == 7
    walked = walk(meta, first)
    assert walked == everything["data"]
    assert len(walked) > 60
    for row in walked:
        assert row["date_start"] == row["date_stop"]
        for name in ("spend", "impressions", "clicks"):
            assert isinstance(row[name], str)
        float(row["spend"])
        assert all(isinstance(action["value"], str) for action in row.get("actions", []))
    assert any(action["action_type"] == "lead" for row in walked for action in row.get("actions", []))
    assert max(row["date_start"] for row in walked) == "2026-03-29"  # Amsterdam's 29th is over at now


def test_adset_rows_add_up_to_campaign_rows(meta: Client) -> None:
    base = {"fields": "campaign_id,spend", "time_range": MARCH, "limit": 5000}
    campaigns = get(meta, f"{EU}/insights", level="campaign", **base).json()["data"]
    adsets = get(meta, f"{EU}/insights", level="adset", **base).json()["data"]
    summed: dict[str, float] = {}
    for row in adsets:
        summed[row["campaign_id"]] = summed.get(row["campaign_id"], 0) + round(float(row["spend"]) * 100)
    assert summed == {row["campaign_id"]: round(float(row["spend"]) * 100) for row in campaigns}


def test_async_report_run_progresses_over_polls_then_pages(meta: Client) -> None:
    params = {"level": "adset", "fields": "adset_id,spend", "time_range": MARCH, "time_increment": "1"}
    started = meta.session.post(f"{meta.url}/v21.0/{EU}/insights", data={**params, "access_token": TOKEN}, timeout=10)
    assert started.status_code == 200
    run_id = started.json()["report_run_id"]
    not_ready = get(meta, f"{run_id}/insights")
    assert not_ready.status_code == 400 and not_ready.json()["error"]["code"] == 100
    statuses = []
    for _ in range(5):
        poll = get(meta, run_id).json()
        statuses.append((poll["async_status"], poll["async_percent_completion"]))
    assert statuses == [
        ("Job Not Started", 0),
        ("Job Started", 0),
        ("Job Running", 45),
        ("Job Completed", 100),
        ("Job Completed", 100),
    ]
    rows = walk(meta, get(meta, f"{run_id}/insights", limit=10))
    assert rows == get(meta, f"{EU}/insights", limit=5000, **params).json()["data"]


def test_unknown_objects_fields_and_edges_are_errors(meta: Client) -> None:
    unknown = get(meta, "act_42/insights")
    assert unknown.status_code == 400
    assert (unknown.json()["error"]["code"], unknown.json()["error"]["error_subcode"]) == (100, 33)
    bad_field = get(meta, f"{EU}/insights", fields="spend,bogus_metric")
    assert bad_field.status_code == 400 and bad_field.json()["error"]["code"] == 100
    edge = get(meta, f"{EU}/adcreatives_nope")
    assert edge.status_code == 400 and edge.json()["error"]["code"] == 100


def test_throttle_headers_and_error_17_over_the_budget(start_sandbox: Callable[..., Client]) -> None:
    limited = start_sandbox("--seed", "7", "--scale", "20", "--meta-call-budget", "4")
    usages = []
    for _ in range(4):
        response = get(limited, f"{EU}/insights", fields="spend", time_range=MARCH)
        assert response.status_code == 200
        usages.append(json.loads(response.headers["X-Ad-Account-Usage"])["acc_id_util_pct"])
        assert json.loads(response.headers["X-FB-Ads-Insights-Throttle"])["acc_id_util_pct"] == usages[-1]
        assert "X-Business-Use-Case-Usage" in response.headers
    assert usages == [25, 50, 75, 100]
    refused = get(limited, f"{EU}/insights", fields="spend", time_range=MARCH)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["error_subcode"], error["type"]) == (17, 2446079, "OAuthException")
    assert json.loads(refused.headers["X-Ad-Account-Usage"])["acc_id_util_pct"] == 100
