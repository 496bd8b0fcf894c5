"""A wrong HubSpot token against the real sandbox: one request, a clear AuthError, a failed batch, no rows."""

from __future__ import annotations

import psycopg
import pytest

from extractors.core.http import AuthError
from extractors.hubspot.client import make_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import run_stream
from warehouse.config import Secret, SourceSettings

WRONG_TOKEN = "pat-na1-wrong-0000-token"


@pytest.fixture(scope="module")
def failure(warehouse_url: str, sandbox_url: str) -> tuple[AuthError, int, int]:
    """Run the contacts stream with a wrong token: (the error, requests sent, retries)."""
    client = make_client(SourceSettings(name="hubspot", base_url=sandbox_url, token=Secret(WRONG_TOKEN)))
    with psycopg.connect(warehouse_url, autocommit=True) as conn, pytest.raises(AuthError) as caught:
        run_stream(STREAMS[0], client, conn)
    return caught.value, client.requests_sent, client.retries


def test_a_wrong_token_fails_after_a_single_request_without_retries(failure: tuple[AuthError, int, int]) -> None:
    _, requests_sent, retries = failure
    assert (requests_sent, retries) == (1, 0)


def test_the_auth_error_names_HUBSPOT_TOKEN_and_the_endpoint(
    failure: tuple[AuthError, int, int], sandbox_url: str
) -> None:
    message = str(failure[0])
    assert message.startswith("hubspot: 401 from ")
    assert f"{sandbox_url}/crm/v3/properties/contacts" in message  # the first request: property discovery
    assert "check HUBSPOT_TOKEN" in message


def test_the_auth_error_shows_neither_the_token_nor_the_query_string(failure: tuple[AuthError, int, int]) -> None:
    message = str(failure[0])
    assert WRONG_TOKEN not in message
    assert "?" not in message.split("(", 1)[0]  # the API's own message follows in parentheses
    for parameter in ("properties=", "archived=", "limit="):
        assert parameter not in message


def test_the_failed_run_leaves_a_failed_batch_and_no_rows(
    failure: tuple[AuthError, int, int], warehouse_url: str
) -> None:
    with psycopg.connect(warehouse_url) as conn:
        batches = conn.execute("select status, records, pages, finished_at is not null from raw._batches").fetchall()
        loaded = conn.execute("select count(*) from raw.hubspot__contacts").fetchone()
        state = conn.execute("select count(*) from raw._sync_state").fetchone()
    assert batches == [("failed", 0, 0, True)]
    assert loaded == (0,)
    assert state == (0,)
