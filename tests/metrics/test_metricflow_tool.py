"""tools/metricflow/run.py: the semantic manifest is pointed at the published schemas exactly as publish renames
them, the project copy never writes into dbt_project/, and (when the tool environment is installed) MetricFlow
accepts the semantic layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from warehouse import publish
from warehouse.config import DBT_PROJECT_DIR, REPO_ROOT


def test_the_wrapper_renames_the_same_layers_as_publish(metricflow_run: ModuleType) -> None:
    assert metricflow_run.PUBLISHED_LAYERS == publish.LAYERS
    assert metricflow_run.BUILD_PREFIX == publish.BUILD_PREFIX


def test_a_build_schema_becomes_its_published_schema(metricflow_run: ModuleType) -> None:
    relation = {
        "alias": "weekly_review",
        "schema_name": "build_marts",
        "database": "smarketing",
        "relation_name": '"smarketing"."build_marts"."weekly_review"',
    }

    published = metricflow_run.published_relation(relation)

    assert published["schema_name"] == "marts"
    assert published["relation_name"] == '"smarketing"."marts"."weekly_review"'
    assert relation["schema_name"] == "build_marts"  # the input is left alone


def test_schemas_that_publish_does_not_swap_are_left_alone(metricflow_run: ModuleType) -> None:
    for schema in ("impact_head_marts", "build_sandbox", "raw", "marts"):
        relation = {"alias": "t", "schema_name": schema, "database": "d", "relation_name": f'"d"."{schema}"."t"'}
        assert metricflow_run.published_relation(relation) == relation


def test_the_parsed_semantic_manifest_points_only_at_published_schemas(
    metricflow_run: ModuleType, semantic_manifest: dict[str, Any]
) -> None:
    before = {model["node_relation"]["schema_name"] for model in semantic_manifest["semantic_models"]}
    assert before >= {"build_marts", "build_intermediate"}  # what dbt writes for the pipeline's target schema

    pointed = metricflow_run.point_at_published_schemas(semantic_manifest)

    relations = [model["node_relation"] for model in pointed["semantic_models"]]
    relations += [spine["node_relation"] for spine in pointed["project_configuration"]["time_spines"]]
    assert {relation["schema_name"] for relation in relations} <= set(publish.LAYERS)
    assert all(f'."{relation["schema_name"]}".' in relation["relation_name"] for relation in relations)
    assert [model["name"] for model in pointed["semantic_models"]] == [
        model["name"] for model in semantic_manifest["semantic_models"]
    ]


def test_the_project_copy_links_the_sources_and_keeps_its_own_target(
    metricflow_run: ModuleType, tmp_path: Path
) -> None:
    source = tmp_path / "project"
    (source / "models").mkdir(parents=True)
    (source / "target").mkdir()
    (source / "dbt_project.yml").write_text("name: x\n")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "removed_since").symlink_to(source / "models")

    metricflow_run.link_project(source, copy)
    metricflow_run.link_project(source, copy)  # idempotent

    assert sorted(entry.name for entry in copy.iterdir()) == ["dbt_project.yml", "models"]
    assert (copy / "models").resolve() == (source / "models").resolve()
    assert not (copy / "target").exists()  # dbt and mf create their own here, never in the source


def test_the_wrapper_says_how_to_create_a_missing_tool_environment(
    metricflow_run: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(metricflow_run, "TOOL_VENV", tmp_path / "absent")

    with pytest.raises(metricflow_run.ToolEnvironmentMissingError, match="make metrics"):
        metricflow_run.tool_binary("mf")


TOOL_PYTHON = Path(os.environ.get("METRICFLOW_VENV", REPO_ROOT / ".venv-metricflow")) / "bin" / "python"  # as run.py


@pytest.mark.skipif(not TOOL_PYTHON.exists(), reason="MetricFlow tool environment not installed (make metrics)")
def test_metricflow_validates_the_semantic_layer(warehouse_url: str, tmp_path: Path) -> None:
    """mf's own semantic validation (no warehouse queries: --skip-dw) of the working tree's definitions."""
    env = {**os.environ, "WAREHOUSE_URL": warehouse_url, "METRICFLOW_PROJECT_COPY": str(tmp_path / "project")}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "metricflow" / "run.py"), "validate-configs", "--skip-dw"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Successfully validated the semantics of built manifest (ERRORS: 0" in output, output[-4000:]
    pointed = json.loads((tmp_path / "project" / "target" / "semantic_manifest.json").read_text())
    assert {model["node_relation"]["schema_name"] for model in pointed["semantic_models"]} <= {
        "marts",
        "intermediate",
        "staging",
    }
