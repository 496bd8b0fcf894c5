"""`python -m extractors run google_ads|meta_ads|linkedin_ads` against the sandbox, as for HubSpot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extractors.__main__ import main
from sandbox.launcher import running_sandbox
from tests.extractors.ads_sandbox import TOKEN, point_settings_at, sandbox_arguments


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with running_sandbox(sandbox_arguments()) as sandbox:
        yield sandbox.url


@pytest.mark.parametrize(
    ("source", "tables"),
    [
        ("google_ads", ("accounts", "campaign_daily", "ad_group_daily")),
        ("meta_ads", ("accounts", "campaign_daily", "adset_daily")),
        ("linkedin_ads", ("accounts", "campaigns", "campaign_daily")),
    ],
)
def test_run_loads_every_stream_and_prints_the_table(
    source: str,
    tables: tuple[str, ...],
    sandbox_url: str,
    warehouse_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    point_settings_at(monkeypatch, sandbox_url)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("META_ADS_START_DATE", "2026-01-01")
    monkeypatch.setenv("META_ADS_ASYNC_AFTER_DAYS", "400")  # synchronous here: async polling waits for real
    assert main(["run", source]) == 0
    out, err = capsys.readouterr()
    for table in tables:
        assert f"raw.{source}__{table}" in out
    assert TOKEN not in out + err


def test_a_stream_can_be_chosen_and_a_missing_setting_exits_2_naming_it(
    sandbox_url: str, warehouse_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    point_settings_at(monkeypatch, sandbox_url)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    assert main(["run", "linkedin_ads", "--stream", "campaign_daily", "--full-refresh"]) == 0
    out, _ = capsys.readouterr()
    assert "raw.linkedin_ads__campaign_daily" in out and "raw.linkedin_ads__accounts" not in out
    monkeypatch.delenv("GOOGLE_ADS_DEVELOPER_TOKEN")
    assert main(["run", "google_ads"]) == 2
    assert "GOOGLE_ADS_DEVELOPER_TOKEN is not set" in capsys.readouterr().err
