"""Fixtures for the semantic layer: one `dbt parse` per test session, and the MetricFlow wrapper as a module."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from warehouse.config import REPO_ROOT
from warehouse.dbt import run_dbt

# dbt parse reads the profile but never connects: any well-formed URL will do.
PARSE_ONLY_URL = "postgresql://parse-only@127.0.0.1:9/semantic_layer"


@pytest.fixture(scope="session")
def parsed_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A target folder with the manifest and semantic manifest of the working tree's dbt project."""
    target = tmp_path_factory.mktemp("dbt-parse")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_URL", PARSE_ONLY_URL)
        patch.setenv("DBT_TARGET_PATH", str(target))
        run_dbt("parse")  # validates the semantic models and metrics too: a broken definition fails here
    return target


@pytest.fixture(scope="session")
def manifest(parsed_target: Path) -> dict[str, Any]:
    return json.loads((parsed_target / "manifest.json").read_text())


@pytest.fixture(scope="session")
def semantic_manifest(parsed_target: Path) -> dict[str, Any]:
    return json.loads((parsed_target / "semantic_manifest.json").read_text())


@pytest.fixture(scope="session")
def metricflow_run() -> ModuleType:
    """tools/metricflow/run.py, imported from its path (tools/ is not a package)."""
    path = REPO_ROOT / "tools" / "metricflow" / "run.py"
    spec = importlib.util.spec_from_file_location("metricflow_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
