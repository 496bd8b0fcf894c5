"""Fixtures for the impact review: one database with the sandbox's raw data, a copy of the dbt project."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from impact.__main__ import main
from impact.project import IGNORED_PARTS, REPO_ROOT
from sandbox.launcher import running_sandbox
from tests.conftest import SANDBOX_TOKEN
from warehouse import nightly

SEED, SCALE = 11, 400  # the story tests/pipeline checks against the sandbox truth


@pytest.fixture(scope="module")
def raw_loaded(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's database with the sandbox's HubSpot data in raw (nothing built)."""
    target = tmp_path_factory.mktemp("dbt-target")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_URL", warehouse_url)
        patch.setenv("HUBSPOT_TOKEN", SANDBOX_TOKEN)
        patch.setenv("DBT_TARGET_PATH", str(target))
        with running_sandbox(["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE)]) as sandbox:
            patch.setenv("HUBSPOT_BASE_URL", sandbox.url)
            nightly.extract("hubspot")
        yield warehouse_url


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's dbt project (the real files are never touched)."""
    destination = tmp_path_factory.mktemp("projects") / "base"
    shutil.copytree(
        REPO_ROOT / "dbt_project", destination, ignore=lambda _d, names: [n for n in names if n in IGNORED_PARTS]
    )
    return destination


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the module's reviews, so the base is built once and reused."""
    return tmp_path_factory.mktemp("impact-work")


Review = Callable[..., tuple[int, dict[str, Any], Path]]


@pytest.fixture(scope="module")
def review(raw_loaded: str, base_project: Path, work_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Review:
    """Copy the base project, let `edit` change the copy, run `python -m impact` on it; (exit code, json, out)."""

    def run(name: str, edit: Callable[[Path], None], *extra: str) -> tuple[int, dict[str, Any], Path]:
        head = tmp_path_factory.mktemp(f"head-{name}") / "dbt_project"
        shutil.copytree(base_project, head)
        edit(head)
        out = tmp_path_factory.mktemp(f"report-{name}")
        argv = [
            "--base-dir",
            str(base_project),
            "--head-dir",
            str(head),
            "--work-dir",
            str(work_dir),
            "--out",
            str(out),
        ]
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WAREHOUSE_URL", raw_loaded)
            code = main([*argv, *extra])
        return code, json.loads((out / "impact.json").read_text()), out

    return run
