"""HttpClient against a scripted HTTP server on loopback: what is retried, how long it waits, how it fails."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import Iterator

import pytest

from extractors.core.http import AuthError, ExtractError, HttpClient, RetryPolicy
from extractors.hubspot.client import make_client
from tests.extractors.scripted_server import (
    ScriptedServer,
    json_reply,
    scripted_server,
    truncated_json_reply,
)
from warehouse.config import Secret, SourceSettings

SECRET = "s3cret-token-value"
QUERY = {"after": "NTI1Cg==", "access_token": "query-secret"}  # some APIs take the token as a parameter
PAGE = {"results": [{"id": "1"}]}
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the client's wall clock in these tests
MAX_ATTEMPTS = 4


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    """Every delay the client asked to sleep, in order (nothing really sleeps)."""
    return []


def client_for(base_url: str, sleeps: list[float]) -> HttpClient:
    return HttpClient(
        source="testapi",
        base_url=base_url,
        headers={"Authorization": f"Bearer {SECRET}"},
        credential_setting="TESTAPI_TOKEN",
        retry=RetryPolicy(max_attempts=MAX_ATTEMPTS, base_delay=0.5, sleep=sleeps.append, clock=lambda: NOW),
    )


@pytest.fixture
def client(server: ScriptedServer, sleeps: list[float]) -> HttpClient:
    return client_for(server.url, sleeps)


def assert_tells_no_secrets(message: str) -> None:
    assert SECRET not in message
    assert "query-secret" not in message
    assert "access_token" not in message
    assert "NTI1Cg" not in message


def test_server_errors_are_retried_until_the_page_arrives(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(json_reply(503, {"message": "busy"}), json_reply(500, {"message": "oops"}), json_reply(200, PAGE))

    assert client.get_json("/things", QUERY) == PAGE
    assert len(server.paths) == 3
    assert client.retries == 2
    assert len(sleeps) == 2
    assert server.authorizations == [f"Bearer {SECRET}"] * 3


def test_backoff_without_retry_after_stays_under_an_exponentially_growing_bound(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(*[json_reply(502, {})] * 3, json_reply(200, PAGE))

    client.get_json("/things")
    assert len(sleeps) == 3
    assert all(0 <= delay <= 0.5 * 2**attempt for attempt, delay in enumerate(sleeps))


def test_a_page_cut_short_of_its_content_length_is_read_again(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(truncated_json_reply(declared_length=500), json_reply(200, PAGE))

    assert client.get_json("/things", QUERY) == PAGE
    assert client.retries == 1


@pytest.mark.parametrize(
    "truncation",
    [pytest.param(None, id="body-is-invalid-json"), pytest.param(500, id="body-short-of-content-length")],
)
def test_a_truncated_json_body_is_retried_then_fails_naming_source_and_url(
    server: ScriptedServer, client: HttpClient, sleeps: list[float], truncation: int | None
) -> None:
    server.answer(*[truncated_json_reply(declared_length=truncation)] * MAX_ATTEMPTS)

    with pytest.raises(ExtractError) as caught:
        client.get_json("/crm/things", QUERY)
    message = str(caught.value)
    assert message.startswith("testapi: ")
    assert f"{server.url}/crm/things" in message
    assert "truncated" in message
    assert_tells_no_secrets(message)
    assert len(server.paths) == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1


def test_retry_after_in_seconds_is_waited_exactly(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(json_reply(429, {"message": "slow down"}, {"Retry-After": "7"}), json_reply(200, PAGE))

    assert client.get_json("/things") == PAGE
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_waited_until_that_date(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    in_42_seconds = email.utils.formatdate(NOW + 42, usegmt=True)
    server.answer(json_reply(503, {}, {"Retry-After": in_42_seconds}), json_reply(200, PAGE))

    assert client.get_json("/things") == PAGE
    assert sleeps == [42.0]


def test_retry_after_as_a_past_http_date_means_retry_at_once(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(json_reply(429, {}, {"Retry-After": email.utils.formatdate(NOW - 60, usegmt=True)}))
    server.answer(json_reply(200, PAGE))

    assert client.get_json("/things") == PAGE
    assert sleeps == [0.0]


def test_a_retry_after_longer_than_the_policy_allows_is_capped(server: ScriptedServer, sleeps: list[float]) -> None:
    client = client_for(server.url, sleeps)
    client.retry.max_delay = 30.0
    server.answer(json_reply(429, {}, {"Retry-After": "3600"}), json_reply(200, PAGE))

    client.get_json("/things")
    assert sleeps == [30.0]


def test_hubspot_429_without_retry_after_waits_out_the_policy_window_it_names(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    client = make_client(SourceSettings(name="hubspot", base_url=server.url, token=Secret(SECRET)))
    client.retry = RetryPolicy(sleep=sleeps.append)
    rate_limited = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
    }
    secondly = {**rate_limited, "policyName": "SECONDLY"}
    server.answer(json_reply(429, rate_limited), json_reply(429, secondly), json_reply(423, {}), json_reply(200, PAGE))

    assert client.get_json("/crm/v3/objects/contacts") == PAGE
    assert sleeps == [10.0, 1.0, 2.0]


def test_a_bad_request_fails_at_once_with_the_api_message(
    server: ScriptedServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.answer(json_reply(400, {"status": "error", "message": "Invalid input for 'limit': must be at most 100"}))

    with pytest.raises(ExtractError) as caught:
        client.get_json("/crm/things", QUERY)
    assert not isinstance(caught.value, AuthError)
    message = str(caught.value)
    assert "testapi: HTTP 400" in message
    assert "Invalid input for 'limit': must be at most 100" in message
    assert f"{server.url}/crm/things" in message
    assert_tells_no_secrets(message)
    assert (len(server.paths), sleeps) == (1, [])


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_credential_fails_at_once_naming_the_setting_to_fix(
    server: ScriptedServer, client: HttpClient, sleeps: list[float], status: int
) -> None:
    server.answer(json_reply(status, {"status": "error", "message": "Authentication credentials not found."}))

    with pytest.raises(AuthError) as caught:
        client.get_json("/crm/things", QUERY)
    message = str(caught.value)
    assert "TESTAPI_TOKEN" in message
    assert "Authentication credentials not found." in message
    assert_tells_no_secrets(message)
    assert (len(server.paths), sleeps) == (1, [])


def test_a_refused_connection_is_retried_then_fails_with_a_clear_message(sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}", sleeps)

    with pytest.raises(ExtractError) as caught:
        client.get_json("/crm/things", QUERY)
    message = str(caught.value)
    assert message == (
        f"testapi: giving up on http://127.0.0.1:{port}/crm/things after {MAX_ATTEMPTS} attempts: "
        "could not connect: Connection refused"
    )
    assert client.requests_sent == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1
