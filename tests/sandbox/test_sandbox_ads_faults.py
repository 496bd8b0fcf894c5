"""The spend_without_currency fault: about the requested share of daily ad rows lose their currency, nothing else.

In process (no server): the services ``python -m sandbox serve`` mounts, built from its own argument parser, are
asked what the extractors ask (Google's campaign searchStream, Meta's daily campaign insights, LinkedIn's daily
adAnalytics) with and without the fault.
"""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stdout

import pytest

from sandbox import ads
from sandbox.ads.story import AdStory
from sandbox.cli import build_parser, main
from sandbox.server import Request, Response, Service

TOKEN = "fault-token"
RATE = 0.2
SINCE, UNTIL = "2026-01-01", "2026-03-31"
GOOGLE_CUSTOMERS = ("1234567890", "2345678901")
META_ACCOUNTS = ("101000000000001", "101000000000002", "101000000000003")
GOOGLE_DAYS = (  # the extractor's campaign_daily query
    "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, segments.date, metrics.cost_micros, "
    f"metrics.impressions, metrics.clicks, metrics.conversions FROM campaign "
    f"WHERE segments.date BETWEEN '{SINCE}' AND '{UNTIL}'"
)
META_FIELDS = "account_id,account_currency,campaign_id,campaign_name,objective,spend,impressions,clicks,actions"


def services(*faults: str) -> list[Service]:
    """The ad services of ``serve --seed 7 --fault ...`` (``--fault`` parsed by the CLI's own parser)."""
    arguments = ["serve", "--token", TOKEN, "--seed", "7"]
    for fault in faults:
        arguments += ["--fault", fault]
    return ads.services(build_parser().parse_args(arguments))


def ask(service: Service, method: str, path: str, params: dict[str, str], body: dict | None = None) -> Response:
    headers = {
        "authorization": f"Bearer {TOKEN}",
        "developer-token": TOKEN,
        "linkedin-version": "202601",
        "x-restli-protocol-version": "2.0.0",
        "host": "127.0.0.1",
    }
    raw = json.dumps(body).encode() if body is not None else b""
    response = service.handle(Request(method, path, tuple(params.items()), headers, raw))
    assert response.status == 200, response.body
    return response


def google_rows(*faults: str) -> list[dict]:
    router = services(*faults)[0]
    return [
        row
        for customer in GOOGLE_CUSTOMERS
        for batch in ask(
            router, "POST", f"/v21/customers/{customer}/googleAds:searchStream", {}, {"query": GOOGLE_DAYS}
        ).body
        for row in batch["results"]
    ]


def meta_rows(*faults: str) -> list[dict]:
    router = services(*faults)[0]
    params = {
        "level": "campaign",
        "time_increment": "1",
        "time_range": json.dumps({"since": SINCE, "until": UNTIL}),
        "fields": META_FIELDS,
        "limit": "5000",
    }
    return [
        row
        for account in META_ACCOUNTS
        for row in ask(router, "GET", f"/v21.0/act_{account}/insights", params).body["data"]
    ]


def linkedin_body(*faults: str) -> str:
    linkedin = services(*faults)[1]
    params = {
        "q": "analytics",
        "pivot": "CAMPAIGN",
        "timeGranularity": "DAILY",
        "dateRange": "(start:(year:2026,month:1,day:1),end:(year:2026,month:3,day:31))",
        "accounts": "List(urn:li:sponsoredAccount:510000001,urn:li:sponsoredAccount:510000002)",
        "fields": "dateRange,pivotValues,costInLocalCurrency,impressions,clicks",
    }
    return json.dumps(ask(linkedin, "GET", "/rest/adAnalytics", params).body)


def assert_about(count: int, total: int, rate: float) -> None:
    """Within four standard deviations of the binomial expectation."""
    assert abs(count - rate * total) <= 4 * math.sqrt(total * rate * (1 - rate)) + 1, (count, total, rate)


def without(row: dict, *path: str) -> dict:
    """``row`` without the nested key ``path`` (a copy)."""
    copy = json.loads(json.dumps(row))
    part = copy
    for key in path[:-1]:
        part = part[key]
    part.pop(path[-1], None)
    return copy


def test_google_rows_lose_only_their_currency_code_in_about_the_requested_share() -> None:
    clean, faulty = google_rows(), google_rows(f"spend_without_currency={RATE}")
    assert len(clean) == len(faulty) > 300
    dropped = [row for row in faulty if "currencyCode" not in row["customer"]]
    assert_about(len(dropped), len(faulty), RATE)
    for before, after in zip(clean, faulty, strict=True):
        assert before["customer"]["currencyCode"] in ("USD", "EUR")
        assert without(before, "customer", "currencyCode") == without(after, "customer", "currencyCode")
        if "currencyCode" in after["customer"]:
            assert after == before
        else:  # the row is still a whole row: the customer keeps its resourceName and id
            assert after["customer"] == {
                "resourceName": before["customer"]["resourceName"],
                "id": after["customer"]["id"],
            }


def test_meta_rows_lose_only_their_account_currency_in_about_the_requested_share() -> None:
    clean, faulty = meta_rows(), meta_rows(f"spend_without_currency={RATE}")
    assert len(clean) == len(faulty) > 300
    dropped = [row for row in faulty if "account_currency" not in row]
    assert_about(len(dropped), len(faulty), RATE)
    for before, after in zip(clean, faulty, strict=True):
        assert before["account_currency"] in ("USD", "EUR", "GBP")
        assert without(before, "account_currency") == without(after, "account_currency")


def test_a_higher_rate_only_adds_rows_to_the_faulty_set() -> None:
    def faulty_keys(rate: float) -> set[tuple[str, str]]:
        rows = google_rows(f"spend_without_currency={rate}")
        return {
            (row["campaign"]["id"], row["segments"]["date"]) for row in rows if "currencyCode" not in row["customer"]
        }

    low, high = faulty_keys(0.05), faulty_keys(0.3)
    assert low and low < high


def test_at_rate_zero_every_platform_serves_the_same_bytes_as_without_the_fault() -> None:
    fault = "spend_without_currency=0"
    assert json.dumps(google_rows(fault)) == json.dumps(google_rows())
    assert json.dumps(meta_rows(fault)) == json.dumps(meta_rows())
    assert linkedin_body(fault) == linkedin_body()


def test_linkedin_rows_carry_no_currency_so_the_fault_leaves_them_alone() -> None:
    assert linkedin_body("spend_without_currency=0.5") == linkedin_body()


def test_account_discovery_keeps_every_currency() -> None:
    router = services("spend_without_currency=1")[0]
    query = {"query": "SELECT customer.id, customer.currency_code FROM customer"}
    for customer in GOOGLE_CUSTOMERS:
        (batch,) = ask(router, "POST", f"/v21/customers/{customer}/googleAds:searchStream", {}, query).body
        assert batch["results"][0]["customer"]["currencyCode"] in ("USD", "EUR")
    accounts = ask(router, "GET", "/v21.0/me/adaccounts", {"fields": "id,currency"}).body["data"]
    assert all(account["currency"] for account in accounts)


def test_the_fault_changes_no_ground_truth() -> None:
    def truth(*arguments: str) -> dict:
        output = io.StringIO()
        with redirect_stdout(output):
            assert main(["truth", "--seed", "7", "--scale", "30", *arguments]) == 0
        return json.loads(output.getvalue())

    assert truth("--fault", "spend_without_currency=0.5") == truth()


def test_an_unknown_ad_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ad fault"):
        AdStory(7, faults={"spend_without_timezone": 0.1})
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--fault", "spend_without_currency=1.5"])
