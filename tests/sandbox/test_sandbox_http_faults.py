"""HTTP fault switches do what they say: 429 storms, 5xx bursts, slow answers, truncated bodies, resets, expiry."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests

from tests.sandbox.hubspot_client import TOKEN, Client
from tests.sandbox.test_sandbox_hubspot_contacts import CONTACTS, assert_hubspot_error

Start = Callable[..., Client]


def statuses(client: Client, count: int) -> list[int]:
    return [client.contacts(limit=1).status_code for _ in range(count)]


def test_a_429_storm_answers_with_hubspots_body_and_only_sometimes_retry_after(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--http-fault", "status_429=1")
    responses = [client.contacts(limit=1) for _ in range(6)]
    for response in responses:
        assert response.status_code == 429
        body = response.json()
        assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
    with_retry_after = [response for response in responses if "Retry-After" in response.headers]
    assert 0 < len(with_retry_after) < len(responses)
    searched = client.search("contacts", {})
    assert searched.status_code == 429 and searched.json()["policyName"] == "SECONDLY"
    assert client.get("/_sandbox/health", token=None).status_code == 200


def test_a_5xx_burst_mixes_bad_gateway_unavailable_and_gateway_timeout(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--http-fault", "status_5xx=1")
    responses = [client.contacts(limit=1) for _ in range(30)]
    assert {response.status_code for response in responses} == {502, 503, 504}
    for response in responses:
        if response.status_code in (502, 504):
            assert response.headers["Content-Type"] == "text/html"
            assert f"<h1>{response.status_code} " in response.text
        else:
            assert response.json()["status"] == "error"
    assert client.get("/_sandbox/health", token=None).json() == {"status": "ok"}


def test_faults_hit_a_seeded_share_of_requests_the_same_way_every_run(start_sandbox: Start) -> None:
    arguments = ("--scale", "50", "--seed", "3", "--http-fault", "status_429=0.3")
    first, second = start_sandbox(*arguments), start_sandbox(*arguments)
    other_seed = start_sandbox("--scale", "50", "--seed", "4", "--http-fault", "status_429=0.3")
    sequence = statuses(first, 60)
    assert set(sequence) == {200, 429}
    assert 8 <= sequence.count(429) <= 30
    assert statuses(second, 60) == sequence
    assert statuses(other_seed, 60) != sequence


def test_health_checks_do_not_use_up_the_fault_sequence(start_sandbox: Start) -> None:
    arguments = ("--scale", "50", "--seed", "3", "--http-fault", "status_429=0.3")
    plain, checked = start_sandbox(*arguments), start_sandbox(*arguments)
    expected = statuses(plain, 20)
    seen = []
    for _ in range(20):
        assert checked.get("/_sandbox/health", token=None).status_code == 200
        seen.append(checked.contacts(limit=1).status_code)
    assert seen == expected


def test_a_slow_answer_outlasts_the_client_timeout_but_does_arrive(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--http-fault", "slow=1", "--slow-seconds", "0.6")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(client.url + CONTACTS, headers=headers, timeout=0.2)
    started = time.monotonic()
    response = requests.get(client.url + CONTACTS, headers=headers, timeout=5)
    assert response.status_code == 200 and time.monotonic() - started >= 0.6
    started = time.monotonic()
    assert requests.get(client.url + "/_sandbox/health", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.5


def raw_get(url: str, path: str) -> tuple[bytes, bytes]:
    """One HTTP/1.1 GET over a plain socket: (header block, whatever body arrived before the server closed)."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        connection.sendall(request.encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


def test_a_truncated_body_promises_the_full_length_and_stops_half_way(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--http-fault", "truncated_json=1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.contacts(limit=10)
    head, body = raw_get(client.url, CONTACTS + "?limit=10")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split()[1])
    assert len(body) == length // 2 and body.startswith(b'{"results":[')


def test_a_connection_reset_closes_the_socket_without_any_response(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--http-fault", "connection_reset=1")
    with pytest.raises(requests.exceptions.ConnectionError):
        client.contacts(limit=1)
    with pytest.raises(ConnectionResetError):
        raw_get(client.url, CONTACTS)
    assert client.get("/_sandbox/health", token=None).status_code == 200


def test_a_token_that_expires_mid_run_gets_hubspots_expired_authentication_error(start_sandbox: Start) -> None:
    client = start_sandbox("--scale", "50", "--token-expires-after", "3")
    assert_hubspot_error(client.get(CONTACTS, token="wrong"), 401, "INVALID_AUTHENTICATION")  # does not count
    assert statuses(client, 3) == [200, 200, 200]
    for _ in range(2):
        response = client.contacts(limit=1)
        assert_hubspot_error(response, 401, "EXPIRED_AUTHENTICATION")
        assert response.json()["message"].startswith("The OAuth token used to make this call expired")
        assert list(response.json()["context"]) == ["expire time"]
    assert client.get("/_sandbox/health", token=None).status_code == 200
