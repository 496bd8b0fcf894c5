"""LinkedIn Marketing API emulation: auth, version header, discovery, adAnalytics without paging, truncation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.sandbox.hubspot_client import TOKEN, Client

HEADERS = {"Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": "202502", "X-Restli-Protocol-Version": "2.0.0"}
MARCH = "(start:(year:2026,month:3,day:1),end:(year:2026,month:3,day:31))"
BOTH = "List(urn%3Ali%3AsponsoredAccount%3A510000001,urn%3Ali%3AsponsoredAccount%3A510000002)"
FIELDS = "dateRange,pivotValues,impressions,clicks,costInLocalCurrency,externalWebsiteConversions"


@pytest.fixture(scope="module")
def linkedin(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "7", "--scale", "20")


def analytics(client: Client, headers: dict | None = None, pivot: str = "CAMPAIGN", accounts: str = BOTH,
              date_range: str = MARCH, fields: str = FIELDS) -> requests.Response:  # fmt: skip
    # Rest.li 2.0 values are sent as they are (the URN inside List() is already URL-encoded).
    query = (
        f"q=analytics&pivot={pivot}&timeGranularity=DAILY&dateRange={date_range}&accounts={accounts}&fields={fields}"
    )
    return client.session.get(f"{client.url}/rest/adAnalytics?{query}", headers=headers or HEADERS, timeout=10)


def test_auth_and_version_errors(linkedin: Client) -> None:
    empty = analytics(linkedin, headers={k: v for k, v in HEADERS.items() if k != "Authorization"})
    assert empty.status_code == 401 and empty.json()["code"] == "EMPTY_ACCESS_TOKEN"
    wrong = analytics(linkedin, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {
        "status": 401,
        "serviceErrorCode": 65600,
        "code": "INVALID_ACCESS_TOKEN",
        "message": "Invalid access token",
    }
    no_version = analytics(linkedin, headers={k: v for k, v in HEADERS.items() if k != "LinkedIn-Version"})
    assert no_version.status_code == 426 and no_version.json()["code"] == "VERSION_MISSING"


def test_discovery_lists_accounts_with_currencies(linkedin: Client) -> None:
    response = linkedin.session.get(f"{linkedin.url}/rest/adAccounts?q=search", headers=HEADERS, timeout=10)
    assert response.status_code == 200
    assert {(e["id"], e["currency"]) for e in response.json()["elements"]} == {(510000001, "USD"), (510000002, "EUR")}
    groups = linkedin.session.get(
        f"{linkedin.url}/rest/adAccounts/510000002/adCampaigns?q=search", headers=HEADERS, timeout=10
    ).json()["elements"]
    assert all(g["campaignGroup"].startswith("urn:li:sponsoredCampaignGroup:") for g in groups)


def test_searches_page_by_cursor_until_no_next_page_token(linkedin: Client) -> None:
    url = f"{linkedin.url}/rest/adAccounts/510000001/adCampaigns"
    whole = linkedin.session.get(url, params={"q": "search", "pageSize": "1000"}, headers=HEADERS, timeout=10).json()
    assert "nextPageToken" not in whole["metadata"]
    paged, params, pages = [], {"q": "search", "pageSize": "2"}, 0
    while True:
        body = linkedin.session.get(url, params=params, headers=HEADERS, timeout=10).json()
        pages += 1
        paged += body["elements"]
        token = body["metadata"].get("nextPageToken")
        if not token:
            break
        assert len(body["elements"]) == 2
        params = {**params, "pageToken": token}
    assert paged == whole["elements"] and pages == -(-len(paged) // 2) and pages > 1
    default = linkedin.session.get(url, params={"q": "search"}, headers=HEADERS, timeout=10).json()
    assert len(default["elements"]) == min(100, len(paged))
    for bad in ({"pageSize": "0"}, {"pageSize": "1001"}, {"pageSize": "ten"}, {"pageToken": "not-a-token"}):
        answer = linkedin.session.get(url, params={"q": "search", **bad}, headers=HEADERS, timeout=10)
        assert answer.status_code == 400, bad
        assert answer.json()["status"] == 400 and next(iter(bad)) in answer.json()["message"]


def test_analytics_has_no_paging_and_daily_utc_elements(linkedin: Client) -> None:
    response = analytics(linkedin)
    assert response.status_code == 200
    body = response.json()
    assert "next" not in str(body.get("paging", {})) and body["paging"]["links"] == []
    elements = body["elements"]
    assert len(elements) > 100
    days = set()
    for element in elements:
        assert set(element) == set(FIELDS.split(","))
        assert element["dateRange"]["start"] == element["dateRange"]["end"]
        assert element["pivotValues"][0].startswith("urn:li:sponsoredCampaign:")
        assert isinstance(element["impressions"], int) and isinstance(element["costInLocalCurrency"], str)
        days.add(tuple(element["dateRange"]["start"].values()))
    assert max(days) == (2026, 3, 29)  # UTC: the 29th is over at 2026-03-30T00:00Z


def test_unknown_fields_paths_and_bad_syntax(linkedin: Client) -> None:
    assert analytics(linkedin, fields="impressions,bogus").status_code == 400
    assert analytics(linkedin, fields=",".join(["impressions"] * 21)).status_code == 400
    assert (
        analytics(linkedin, headers={k: v for k, v in HEADERS.items() if k != "X-Restli-Protocol-Version"}).status_code
        == 400
    )
    assert analytics(linkedin, accounts="urn:li:sponsoredAccount:510000001").status_code == 400
    missing = linkedin.session.get(f"{linkedin.url}/rest/adCreativesNope", headers=HEADERS, timeout=10)
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_answers_over_the_limit_are_cut_silently(linkedin: Client, start_sandbox: Callable[..., Client]) -> None:
    full = analytics(linkedin).json()["elements"]
    capped = start_sandbox("--seed", "7", "--scale", "20", "--linkedin-max-elements", "40")
    response = analytics(capped)
    assert response.status_code == 200
    cut = response.json()["elements"]
    assert len(cut) == 40 < len(full)
    assert cut == full[:40]
    assert set(response.json()) == {"paging", "elements"}  # nothing says it was cut
