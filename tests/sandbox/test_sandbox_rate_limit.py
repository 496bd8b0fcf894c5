"""With --rate-limit the sandbox enforces HubSpot's ten-secondly rolling budget, with HubSpot's 429."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.sandbox.hubspot_client import Client

BUDGET = 5


@pytest.fixture(scope="module")
def limited(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "1", "--scale", "50", "--rate-limit", str(BUDGET))


@pytest.fixture(scope="module")
def responses(limited: Client) -> list:
    """Nine quick requests against a budget of five (well inside one ten-second window)."""
    return [limited.contacts(limit=2) for _ in range(BUDGET + 4)]


def test_requests_within_the_budget_succeed_and_count_down_the_remaining_header(responses: list) -> None:
    allowed = responses[:BUDGET]
    assert [response.status_code for response in allowed] == [200] * BUDGET
    assert [response.headers["X-HubSpot-RateLimit-Remaining"] for response in allowed] == ["4", "3", "2", "1", "0"]
    assert {response.headers["X-HubSpot-RateLimit-Max"] for response in allowed} == {str(BUDGET)}


def test_requests_over_the_budget_get_hubspots_rate_limit_body(responses: list) -> None:
    for response in responses[BUDGET:]:
        assert response.status_code == 429
        body = response.json()
        assert body["status"] == "error"
        assert body["errorType"] == "RATE_LIMIT"
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        uuid.UUID(body["correlationId"])


def test_retry_after_comes_with_some_429s_but_not_all(responses: list) -> None:
    refused = responses[BUDGET:]
    with_header = [response for response in refused if "Retry-After" in response.headers]
    assert 0 < len(with_header) < len(refused)
    assert all(1 <= int(response.headers["Retry-After"]) <= 10 for response in with_header)


def test_failed_authentication_does_not_use_the_budget(start_sandbox: Callable[..., Client]) -> None:
    fresh = start_sandbox("--seed", "1", "--scale", "50", "--rate-limit", "2")
    for _ in range(3):
        assert fresh.get("/crm/v3/objects/contacts", token="wrong").status_code == 401
    assert [fresh.contacts().status_code for _ in range(3)] == [200, 200, 429]
