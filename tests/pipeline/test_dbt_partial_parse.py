"""A night's `as_of` changes every night; dbt must not reparse the project for it (a full reparse costs ~2 s of
every night's start at any scale), and the compiled SQL must still use the night's value."""

from __future__ import annotations

import json

import pytest

from warehouse.dbt import run_dbt, target_dir


@pytest.fixture
def no_as_of_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARKETING_AS_OF", raising=False)


def parse_log(as_of: str) -> str:
    """The debug output of `dbt parse` as of `as_of` (in this module's own target folder)."""
    return run_dbt("--debug", "parse", as_of=as_of)


@pytest.mark.usefixtures("pipeline_env", "no_as_of_in_env")
def test_a_new_as_of_reuses_the_parsed_project_and_is_compiled_in() -> None:
    first = parse_log("2026-04-01T00:00:00+00:00")
    assert "Starting full parse" in first

    second = parse_log("2026-04-02T00:00:00+00:00")
    assert "Nothing changed, skipping partial parsing" in second, second[-3000:]

    run_dbt("compile", "--select", "int_lifecycle_stage_entries", as_of="2026-04-03T00:00:00+00:00")
    manifest = json.loads((target_dir() / "manifest.json").read_text())
    compiled = manifest["nodes"]["model.smarketing.int_lifecycle_stage_entries"]["compiled_code"]
    assert "history.changed_at <= '2026-04-03T00:00:00+00:00'::timestamptz" in compiled
