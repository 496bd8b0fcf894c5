"""Personal data stays out of the published marts, and the grants' name pattern catches every PII column dbt declares.

Read from the dbt project's YAML (no build needed): every mart has an enforced contract, so its declared columns
are exactly the columns BI gets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from warehouse import config, roles

MODELS = config.DBT_PROJECT_DIR / "models"
# What a person's data looks like in a column name, more broadly than the grants' pattern: a declared column that
# matches this but not roles.PII_COLUMN_PATTERN must be added to the pattern (or shown not to be personal here).
LOOKS_PERSONAL = re.compile(r"mail|phone|first_?name|last_?name|full_?name|birth|address|ip_addr|person_key")
NOT_PERSONAL = {"company_name", "account_name", "campaign_name", "deal_name", "pipeline_label", "stage_label"}


def declared_models(folder: Path) -> dict[str, dict[str, Any]]:
    """{model name: its YAML declaration} from every YAML file under `folder`."""
    models = {}
    for path in sorted(folder.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            models[model["name"]] = model
    return models


def columns(model: dict[str, Any]) -> list[str]:
    return [column["name"] for column in model.get("columns") or []]


def test_every_published_mart_declares_its_columns_in_an_enforced_contract() -> None:
    declared = declared_models(MODELS / "marts")
    for path in sorted((MODELS / "marts").rglob("*.sql")):
        model = declared.get(path.stem)
        assert model is not None, f"mart {path.stem} is published to BI: declare its columns in an enforced contract"
        assert (model.get("config") or {}).get("contract", {}).get("enforced") is True, path.stem
        assert columns(model), f"{path.stem} declares no columns"


def test_no_published_mart_has_a_personal_data_column() -> None:
    found = {
        f"{name}.{column}"
        for name, model in declared_models(MODELS / "marts").items()
        for column in columns(model)
        if re.search(roles.PII_COLUMN_PATTERN, column) or LOOKS_PERSONAL.search(column)
    }
    assert found == set()


def test_every_personal_looking_column_in_the_project_is_withheld_by_the_grants() -> None:
    declared = declared_models(MODELS)
    personal = {column for model in declared.values() for column in columns(model) if LOOKS_PERSONAL.search(column)}
    assert {"email", "first_name", "last_name"} <= personal  # the staging contacts, as the project declares them
    missed = sorted(c for c in personal - NOT_PERSONAL if not re.search(roles.PII_COLUMN_PATTERN, c))
    assert missed == []


def test_the_pattern_matches_the_personal_columns_and_spares_the_metrics() -> None:
    pattern = re.compile(roles.PII_COLUMN_PATTERN)
    for column in (
        "email",
        "owner_email",
        "mobile_phone",
        "phone",
        "first_name",
        "last_name",
        "person_key",
        "_previous_person_key",
    ):
        assert pattern.search(column), column
    for column in ("person_id", "contact_id", "company_name", "leads", "mqls", "job_title", "owner_id"):
        assert not pattern.search(column), column


def test_the_documentation_lists_every_pii_raw_table() -> None:
    documentation = (config.REPO_ROOT / "docs" / "production.md").read_text()
    assert sorted(table for table in roles.PII_RAW_TABLES if f"raw.{table}" not in documentation) == []
