"""The semantic layer covers every agreed metric of the published marts, and each metric names its glossary term.

The list of metric columns comes from the marts' YAML (columns with `meta.glossary_term`, as dbt parsed them);
the metrics from the semantic manifest `dbt parse` writes. A metric (or, for an attribute such as a day of
the week, a dimension) says which mart columns it reproduces in `meta.mart_columns`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import pytest

from warehouse.config import DBT_PROJECT_DIR

TERMS_SEED = DBT_PROJECT_DIR / "seeds" / "glossary" / "glossary_term_definitions.csv"


def mart_metric_columns(manifest: dict[str, Any]) -> dict[str, str]:
    """{"<mart>.<column>": glossary term} for every column of a mart model that names a glossary term."""
    columns = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or "marts" not in node["fqn"]:
            continue
        for column in node["columns"].values():
            term = (column.get("meta") or {}).get("glossary_term") or (column.get("config") or {}).get("meta", {}).get(
                "glossary_term"
            )
            if term:
                columns[f"{node['name']}.{column['name']}"] = term
    return columns


def semantic_elements(semantic_manifest: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("metric <name>" / "dimension <model>.<name>", meta) for every metric and dimension."""
    for metric in semantic_manifest["metrics"]:
        yield f"metric {metric['name']}", ((metric.get("config") or {}).get("meta") or {})
    for model in semantic_manifest["semantic_models"]:
        for dimension in model["dimensions"]:
            yield f"dimension {model['name']}.{dimension['name']}", ((dimension.get("config") or {}).get("meta") or {})


def implementations(semantic_manifest: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """{"<mart>.<column>": [(element, glossary term it names)]} from the elements' `meta.mart_columns`."""
    found: dict[str, list[tuple[str, str]]] = {}
    for element, meta in semantic_elements(semantic_manifest):
        for column in meta.get("mart_columns") or []:
            found.setdefault(column, []).append((element, meta.get("glossary_term", "")))
    return found


def glossary_terms() -> set[str]:
    with TERMS_SEED.open(newline="") as seed:
        return {row["term"] for row in csv.DictReader(seed)}


def test_the_marts_yaml_lists_the_metric_columns_to_cover(manifest: dict[str, Any]) -> None:
    columns = mart_metric_columns(manifest)
    # the published marts of issue #5 are all there, so an empty or partial list cannot pass the next test
    assert {name.split(".")[0] for name in columns} >= {
        "weekly_review",
        "sla_scoreboard",
        "pipeline_composition",
        "funnel_cohorts",
    }
    assert columns["weekly_review.mqls"] == "mql"


def test_every_metric_column_of_the_marts_has_a_metric_naming_the_same_term(
    manifest: dict[str, Any], semantic_manifest: dict[str, Any]
) -> None:
    found = implementations(semantic_manifest)
    missing = sorted(column for column in mart_metric_columns(manifest) if column not in found)
    wrong_term = sorted(
        f"{column}: {element} names {term!r}, the mart column {expected!r}"
        for column, expected in mart_metric_columns(manifest).items()
        for element, term in found.get(column, [])
        if term != expected
    )
    assert missing == [], f"mart metric columns without a metric (meta.mart_columns in _marts__metrics.yml): {missing}"
    assert wrong_term == []


def test_only_attribute_columns_are_covered_by_a_dimension_instead_of_a_metric(
    manifest: dict[str, Any], semantic_manifest: dict[str, Any]
) -> None:
    by_dimension_only = sorted(
        column
        for column, elements in implementations(semantic_manifest).items()
        if all(element.startswith("dimension ") for element, _ in elements)
    )
    metric_columns = mart_metric_columns(manifest)
    # an attribute is a label or an ordinal, not something to add up: integers that slice, nothing else
    data_types = {
        f"{node['name']}.{column['name']}": (column.get("data_type") or "").lower()
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
    }
    assert all(column in metric_columns for column in by_dimension_only)
    assert [column for column in by_dimension_only if data_types[column] != "integer"] == []


def test_every_metric_names_an_agreed_glossary_term_in_meta_and_description(semantic_manifest: dict[str, Any]) -> None:
    terms = glossary_terms()
    problems = []
    for metric in semantic_manifest["metrics"]:
        term = ((metric.get("config") or {}).get("meta") or {}).get("glossary_term")
        if term not in terms:
            problems.append(f"{metric['name']}: meta.glossary_term {term!r} is not in {TERMS_SEED.name}")
        elif f"`{term}`" not in (metric.get("description") or ""):
            problems.append(f"{metric['name']}: the description does not name `{term}`")
    assert len(semantic_manifest["metrics"]) >= 40
    assert problems == []


def test_every_mart_column_a_metric_claims_exists(manifest: dict[str, Any], semantic_manifest: dict[str, Any]) -> None:
    columns = {
        f"{node['name']}.{column}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"]
    }
    assert sorted(set(implementations(semantic_manifest)) - columns) == []


@pytest.mark.parametrize("measure_agg", ["median", "percentile"])
def test_percentiles_are_never_taken_over_a_mart_of_percentiles(
    semantic_manifest: dict[str, Any], measure_agg: str
) -> None:
    """A median of per-owner medians is not the median: response-time percentiles read the hand-overs."""
    sources = {
        model["node_relation"]["alias"]
        for model in semantic_manifest["semantic_models"]
        for measure in model["measures"]
        if measure["agg"] == measure_agg and "response" in (measure.get("expr") or measure["name"])
    }
    assert sources == {"int_mql_handoffs"}


def test_metricflow_has_a_daily_time_spine(semantic_manifest: dict[str, Any]) -> None:
    spines = semantic_manifest["project_configuration"]["time_spines"]
    assert [(spine["node_relation"]["alias"], spine["primary_column"]["time_granularity"]) for spine in spines] == [
        ("metricflow_time_spine", "day")
    ]
