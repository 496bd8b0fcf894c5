"""Ad sources failing well: wrong or missing credentials fail fast naming the setting, quota and throttling
errors are retried after the wait the API advises, and no token shows up in errors or logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
import pytest
import requests

from extractors.core.http import AuthError, ExtractError
from extractors.google_ads.client import retry_hint as google_retry_hint
from extractors.meta_ads.client import retry_hint as meta_retry_hint
from extractors.runner import run_source
from sandbox.launcher import running_sandbox
from tests.extractors.ads_sandbox import TOKEN, point_settings_at, recorded_client, run_all, sandbox_arguments
from tests.extractors.scripted_server import json_reply, scripted_server
from warehouse.config import ConfigError

WRONG_TOKEN = "wrong-ads-token-0000-9f8e7d"
SETTING = {"google_ads": "GOOGLE_ADS_TOKEN", "meta_ads": "META_ADS_TOKEN", "linkedin_ads": "LINKEDIN_ADS_TOKEN"}


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with running_sandbox(sandbox_arguments()) as sandbox:
        yield sandbox.url


@pytest.mark.parametrize("source", ["google_ads", "meta_ads", "linkedin_ads"])
def test_a_wrong_token_fails_after_one_request_naming_the_setting_and_never_showing_the_token(
    source: str, sandbox_url: str, warehouse_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    point_settings_at(monkeypatch, sandbox_url)
    monkeypatch.setenv(f"{SETTING[source]}", WRONG_TOKEN)
    client, _ = recorded_client(source, sandbox_url, token=WRONG_TOKEN)
    with pytest.raises(AuthError) as caught:
        run_all(source, client, warehouse_url)
    message = str(caught.value)
    assert (client.requests_sent, client.retries) == (1, 0)
    assert f"check {SETTING[source]}" in message
    assert message.startswith(f"{source}: 40")
    assert WRONG_TOKEN not in message and WRONG_TOKEN not in caplog.text
    assert "?" not in message.split("(", 1)[0]
    with psycopg.connect(warehouse_url) as conn:
        failed = conn.execute(
            "select status from raw._batches where source = %s order by batch_id desc limit 1", (source,)
        ).fetchone()
    assert failed == ("failed",)


def test_a_missing_developer_token_is_a_config_error_naming_it(
    sandbox_url: str, monkeypatch: pytest.MonkeyPatch, warehouse_url: str
) -> None:
    point_settings_at(monkeypatch, sandbox_url)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    monkeypatch.delenv("GOOGLE_ADS_DEVELOPER_TOKEN")
    with pytest.raises(ConfigError, match="GOOGLE_ADS_DEVELOPER_TOKEN is not set"):
        run_source("google_ads")


@pytest.mark.parametrize("source", ["google_ads", "meta_ads", "linkedin_ads"])
def test_a_missing_token_is_a_config_error_naming_it(
    source: str, sandbox_url: str, monkeypatch: pytest.MonkeyPatch, warehouse_url: str
) -> None:
    point_settings_at(monkeypatch, sandbox_url)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    monkeypatch.delenv(SETTING[source])
    with pytest.raises(ConfigError, match=f"{SETTING[source]} is not set"):
        run_source(source)


def test_google_quota_errors_are_retried_after_the_retry_delay_they_name(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Quota 3 per 60 s: discovery takes 3 requests, then every searchStream is refused for about a minute."""
    with running_sandbox(sandbox_arguments("--google-ads-quota", "3")) as sandbox:
        point_settings_at(monkeypatch, sandbox.url)
        client, recorded = recorded_client("google_ads", sandbox.url)
        with pytest.raises(ExtractError, match=r"giving up .* after 6 attempts: HTTP 429") as caught:
            run_all("google_ads", client, warehouse_url)
    refused = [status for _, _, status, _ in recorded.requests if status == 429]
    assert len(refused) == 6
    # Each wait is the retryDelay the answer named (the rest of the sandbox's 60 s window), not a backoff guess.
    assert len(recorded.sleeps) == 5 and all(50 <= wait <= 60 for wait in recorded.sleeps)
    assert TOKEN not in str(caught.value) and TOKEN not in caplog.text


def test_meta_throttling_is_retried_after_the_wait_the_usage_headers_advise(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Budget 1 call per hour: discovery passes, then insights answer code 17 with an hour to regain access."""
    with running_sandbox(sandbox_arguments("--meta-call-budget", "1")) as sandbox:
        point_settings_at(monkeypatch, sandbox.url)
        client, recorded = recorded_client("meta_ads", sandbox.url)
        client.retry.max_delay = 4000.0
        with pytest.raises(ExtractError, match=r"giving up .* after 6 attempts: HTTP 400"):
            run_all("meta_ads", client, warehouse_url)
    assert len(recorded.sleeps) == 5 and all(3500 <= wait <= 3600 for wait in recorded.sleeps)


def test_meta_throttling_then_success_waits_once_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = {"error": {"message": "(#17) User request limit reached", "type": "OAuthException", "code": 17}}
    headers = {"X-Ad-Account-Usage": '{"acc_id_util_pct":100,"reset_time_duration":42}'}
    accounts = {"data": [{"id": "act_1", "account_id": "1", "currency": "USD", "timezone_name": "UTC"}]}
    with scripted_server() as server:
        server.answer(json_reply(400, throttled, headers), json_reply(200, accounts))
        point_settings_at(monkeypatch, server.url)
        client, recorded = recorded_client("meta_ads", server.url)
        found = client.accounts()
    assert [account.id for account in found] == ["1"]
    assert recorded.sleeps == [42.0]
    assert server.authorizations == [f"Bearer {TOKEN}"] * 2


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> requests.Response:
    import json

    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def test_google_retry_delay_is_read_from_the_quota_error_details() -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"errors": [{"details": {"quotaErrorDetails": {"retryDelay": "17.5s"}}}]}],
        }
    }
    assert google_retry_hint(_response(429, body)) == 17.5
    assert google_retry_hint(_response(429, {"error": {"code": 429}})) is None
    assert google_retry_hint(_response(500, body)) is None


def test_meta_wait_is_the_longest_the_usage_headers_advise() -> None:
    body = {"error": {"code": 80000, "message": "There have been too many calls from this ad-account."}}
    usage = '{"123":[{"type":"ads_insights","estimated_time_to_regain_access":3}]}'
    assert meta_retry_hint(_response(400, body, {"X-Business-Use-Case-Usage": usage})) == 180.0
    assert meta_retry_hint(_response(400, body)) == 60.0  # no advice: Meta's usual minute
    assert meta_retry_hint(_response(400, {"error": {"code": 100}})) is None
