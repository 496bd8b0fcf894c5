"""Settings: a missing or malformed one is named with how to fix it, and a token never shows itself."""

from __future__ import annotations

import pytest

from warehouse import config


def test_a_missing_warehouse_url_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    with pytest.raises(config.ConfigError, match="WAREHOUSE_URL is not set"):
        config.warehouse()


def test_a_malformed_warehouse_url_is_rejected_without_echoing_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", "mysql://me:hunter2@db/warehouse")
    with pytest.raises(config.ConfigError, match="WAREHOUSE_URL must look like") as error:
        config.warehouse()
    assert "hunter2" not in str(error.value)


def test_the_warehouse_url_is_split_for_dbt_and_converted_for_sqlalchemy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://me:hunter2@db.internal:6543/smarketing")
    settings = config.warehouse()
    assert (settings.host, settings.port, settings.user, settings.database) == ("db.internal", 6543, "me", "smarketing")
    assert settings.sqlalchemy_url() == "postgresql+psycopg://me:hunter2@db.internal:6543/smarketing"
    assert "hunter2" not in repr(settings)


def test_a_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    with pytest.raises(config.ConfigError, match="HUBSPOT_TOKEN is not set"):
        config.source("hubspot")


def test_a_base_url_that_is_not_http_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-123")
    monkeypatch.setenv("HUBSPOT_BASE_URL", "api.hubapi.com")
    with pytest.raises(config.ConfigError, match="HUBSPOT_BASE_URL must be an http"):
        config.source("hubspot")


def test_an_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(config.ConfigError, match=r"unknown source 'salesforce'.*hubspot"):
        config.source("salesforce")


def test_the_token_is_usable_but_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-secret-123")
    settings = config.source("hubspot")
    assert f"Bearer {settings.token}" == "Bearer pat-secret-123"
    assert "pat-secret-123" not in repr(settings)
    assert settings.base_url == "https://api.hubapi.com"
