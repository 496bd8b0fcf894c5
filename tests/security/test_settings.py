"""A missing or malformed setting stops a run before any work, naming the setting and the fix, never a secret."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from warehouse import config

SOURCES = sorted(config.DEFAULT_BASE_URLS)
GOOD = {
    "WAREHOUSE_URL": "postgresql://me:hunter2@db.internal:5432/smarketing",
    "HUBSPOT_TOKEN": "pat-secret-hubspot",
    "GOOGLE_ADS_TOKEN": "ya29.secret-google",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-secret-google",
    "META_ADS_TOKEN": "EAAB-secret-meta",
    "LINKEDIN_ADS_TOKEN": "AQX-secret-linkedin",
}
SETTINGS = (
    *GOOD,
    *(f"{source.upper()}_BASE_URL" for source in SOURCES),
    "SMARKETING_TIMEZONE",
    "SMARKETING_INGEST_CRON",
    "SMARKETING_PUBLISH_BY",
    "SMARKETING_TASK_RETRIES",
    "SMARKETING_BUILD_DEADLINE_MINUTES",
    "SMARKETING_DBT_EXECUTION_MODE",
    "SMARKETING_INCREMENTAL",
    "SMARKETING_ALERT_WEBHOOK",
    *(f"{config.POOL_SLOTS_PREFIX}{source.upper()}" for source in [*SOURCES, "salesforce"]),
    *(f"AIRFLOW_CONN_{source.upper()}_DEFAULT" for source in [*SOURCES, "warehouse"]),
    "AIRFLOW_ADMIN_PASSWORD",
)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only the settings under test: a good configuration, to be broken one way or another."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def load_init() -> ModuleType:
    """docker/init.py, the compose stack's init service (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("compose_init", config.REPO_ROOT / "docker" / "init.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_good_configuration_passes(environment: pytest.MonkeyPatch) -> None:
    config.check(SOURCES)


def test_every_bad_setting_is_named_at_once_without_its_secret(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("WAREHOUSE_URL", "mysql://me:hunter2@db.internal/smarketing")
    environment.delenv("META_ADS_TOKEN")
    environment.setenv("LINKEDIN_ADS_BASE_URL", "api.linkedin.com")
    environment.setenv("SMARKETING_TIMEZONE", "Europe/Atlantis")
    environment.setenv("SMARKETING_INGEST_CRON", "every night")
    environment.setenv("SMARKETING_PUBLISH_BY", "7am")
    environment.setenv("SMARKETING_TASK_RETRIES", "two")
    environment.setenv("SMARKETING_DBT_EXECUTION_MODE", "kubernetes")
    environment.setenv("SMARKETING_INCREMENTAL", "sometimes")
    environment.setenv("SMARKETING_ALERT_WEBHOOK", "hooks.slack.com/services/T000/B000/secret-webhook")
    with pytest.raises(config.ConfigError) as error:
        config.check(SOURCES)
    message = str(error.value)
    for setting in (
        "WAREHOUSE_URL must look like postgresql://",
        "META_ADS_TOKEN is not set",
        "LINKEDIN_ADS_BASE_URL must be an http(s) URL",
        "SMARKETING_TIMEZONE must be an IANA time zone",
        "SMARKETING_INGEST_CRON must be a cron expression",
        "SMARKETING_PUBLISH_BY must be a local time HH:MM",
        "SMARKETING_TASK_RETRIES must be a whole number",
        "SMARKETING_DBT_EXECUTION_MODE must be one of watcher, local",
        "SMARKETING_INCREMENTAL must be one of on, off",
        "SMARKETING_ALERT_WEBHOOK must be an http(s) URL",
    ):
        assert setting in message
    assert len(message.splitlines()) == 10
    for secret in ("hunter2", "secret-webhook", *GOOD.values()):
        assert secret not in message


def test_an_unknown_source_is_named_with_the_known_ones(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SMARKETING_POOL_SLOTS_SALESFORCE", "2")
    with pytest.raises(config.ConfigError) as error:
        config.check(["salesforce"])
    assert "unknown source 'salesforce': known sources are google_ads, hubspot" in str(error.value)
    assert "SMARKETING_POOL_SLOTS_SALESFORCE names an unknown source" in str(error.value)


def test_a_blank_base_url_means_the_real_api(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("HUBSPOT_BASE_URL", "  ")  # what a compose file's `${HUBSPOT_BASE_URL:-}` passes
    assert config.source("hubspot").base_url == "https://api.hubapi.com"


def test_the_command_line_exits_2_naming_the_setting(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert config.main(["hubspot"]) == 0
    environment.delenv("HUBSPOT_TOKEN")
    assert config.main(["hubspot"]) == 2
    assert "HUBSPOT_TOKEN is not set: export a HubSpot private app token" in capsys.readouterr().err


def test_the_stack_stops_before_any_work_on_a_bad_setting(
    environment: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init = load_init()
    work = []
    environment.setattr(init, "setup", lambda *args: work.append("setup"))
    environment.setattr(init.roles, "main", lambda *args: work.append("roles") or 0)
    environment.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "passwords.json"))
    environment.delenv("GOOGLE_ADS_DEVELOPER_TOKEN")
    assert init.main() == 2
    error = capsys.readouterr().err
    assert "GOOGLE_ADS_DEVELOPER_TOKEN is not set" in error
    assert "AIRFLOW_ADMIN_PASSWORD is not set" in error
    assert work == [] and not (tmp_path / "passwords.json").exists()

    environment.setenv("GOOGLE_ADS_DEVELOPER_TOKEN", "dev-secret-google")
    environment.setenv("AIRFLOW_ADMIN_PASSWORD", "ui-secret")
    assert init.main() == 0
    assert work == ["roles", "setup"]
    assert json.loads((tmp_path / "passwords.json").read_text()) == {"admin": "ui-secret"}
    assert (tmp_path / "passwords.json").stat().st_mode & 0o077 == 0


def test_the_stack_reads_sources_and_warehouse_from_airflow_connections(environment: pytest.MonkeyPatch) -> None:
    init = load_init()
    environment.delenv("HUBSPOT_TOKEN")
    environment.setenv(
        "AIRFLOW_CONN_HUBSPOT_DEFAULT",
        json.dumps({"conn_type": "http", "host": "http://sandbox:8090", "password": "pat-from-connection"}),
    )
    environment.setenv(
        "AIRFLOW_CONN_WAREHOUSE_DEFAULT",
        json.dumps({"conn_type": "postgres", "host": "warehouse-db", "port": 5432, "login": "smarketing",
                    "password": "p@ss word", "schema": "smarketing"}),
    )  # fmt: skip
    overlaid = dict(init.os.environ)
    init.apply_connections(overlaid)
    assert (overlaid["HUBSPOT_BASE_URL"], overlaid["HUBSPOT_TOKEN"]) == ("http://sandbox:8090", "pat-from-connection")
    assert overlaid["WAREHOUSE_URL"] == "postgresql://smarketing:p%40ss%20word@warehouse-db:5432/smarketing"
    environment.setenv("AIRFLOW_ADMIN_PASSWORD", "ui-secret")
    init.check_settings()  # HUBSPOT_TOKEN is unset: the connection provides it

    environment.setenv("AIRFLOW_CONN_META_ADS_DEFAULT", '{"conn_type": "http", "password": "EAAB-secret-meta"')
    with pytest.raises(config.ConfigError) as error:
        init.check_settings()
    assert "AIRFLOW_CONN_META_ADS_DEFAULT is not a connection Airflow can read" in str(error.value)
    assert "EAAB-secret-meta" not in str(error.value)
