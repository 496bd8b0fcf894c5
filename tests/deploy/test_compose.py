"""docker-compose.yml, read statically (no Docker engine needed): the Airflow 3 stack `make demo` runs natively.

Every component with a health check, dependencies that wait for a condition, pinned images, no secret in the
file, the same environment variables and DAG folder as the native run (taken from `warehouse.services`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from warehouse import config, roles, services
from warehouse.__main__ import DEMO_SCALE, DEMO_SEED

REPO_ROOT = config.REPO_ROOT
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()

# The Airflow 3 components a Celery deployment runs, by their `airflow` command.
AIRFLOW_COMMANDS = ("api-server", "scheduler", "dag-processor", "triggerer", "celery worker")
CONDITIONS = {"service_healthy", "service_completed_successfully"}
# An environment entry whose name says it holds a credential.
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|FERNET|_KEY$|WEBHOOK|^AIRFLOW_CONN_")
# `${NAME}`, `${NAME:-default}` or `${NAME:?message}`.
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


def command(service: dict[str, Any]) -> str:
    value = service.get("command", "")
    return " ".join(value) if isinstance(value, list) else value


def airflow_services() -> dict[str, dict[str, Any]]:
    """The services running an Airflow component (the init service is not one)."""
    return {name: service for name, service in SERVICES.items() if command(service) in AIRFLOW_COMMANDS}


def one_shot(name: str) -> bool:
    """A service others wait for to complete (the init), rather than to be healthy."""
    return SERVICES[name].get("restart") == "no" and any(
        (service.get("depends_on") or {}).get(name, {}).get("condition") == "service_completed_successfully"
        for service in SERVICES.values()
    )


def native_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, str]:
    """What `make demo` sets for Airflow (services.airflow_env), without the variables of this test process."""
    monkeypatch.setattr(os, "environ", {})
    sandbox = services.Sandbox(base_url="http://127.0.0.1:8090", token="sandbox-token", pid=0)
    return services.airflow_env("postgresql://postgres@127.0.0.1:5432/smarketing", sandbox, home=home)


def test_every_airflow_3_component_runs_with_a_health_check() -> None:
    running = {command(service): name for name, service in airflow_services().items()}
    assert sorted(running) == sorted(AIRFLOW_COMMANDS)
    for name in running.values():
        assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    environment = SERVICES[running["celery worker"]]["environment"]
    assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert urlsplit(environment["AIRFLOW__CELERY__BROKER_URL"]).hostname in SERVICES  # Redis in the stack


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in SERVICES.items():
        if not one_shot(name):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_every_dependency_waits_for_a_condition_the_dependency_can_meet() -> None:
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on without conditions"
        for dependency, rule in depends_on.items():
            assert rule["condition"] in CONDITIONS, f"{name} -> {dependency}: {rule}"
            if rule["condition"] == "service_healthy":
                assert SERVICES[dependency].get("healthcheck"), f"{name} waits for {dependency}'s missing check"
            else:
                assert one_shot(dependency)
    init = [name for name in SERVICES if one_shot(name)]
    assert init == ["airflow-init"]
    databases = {name for name, service in SERVICES.items() if "postgres" in service.get("image", "")}
    assert len(databases) == 2, "Airflow's metadata and the warehouse live in separate Postgres servers"
    for name, service in [*airflow_services().items(), ("airflow-init", SERVICES["airflow-init"])]:
        waits_for = set(service["depends_on"])
        assert databases <= waits_for, f"{name} does not wait for both databases"
        assert name == "airflow-init" or "airflow-init" in waits_for


def test_images_are_pinned_and_airflow_is_the_locked_version() -> None:
    for name, service in SERVICES.items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and re.match(r"^\d+\.\d+", tag), f"{name}: {image} is not pinned to a version"
    base = re.search(r"^FROM\s+(\S+)", DOCKERFILE, re.MULTILINE).group(1)
    locked = re.search(r"^apache-airflow==(\S+)", (REPO_ROOT / "requirements.lock").read_text(), re.MULTILINE)
    assert base == f"apache/airflow:{locked.group(1)}-python3.11", base
    assert '"apache-airflow==${AIRFLOW_VERSION}" -r' in DOCKERFILE  # the install cannot move Airflow


def placeholders(text: str) -> str:
    """`${NAME:?message}` -> REQUIRED_NAME, `${NAME:-default}` -> DEFAULT_NAME, `${NAME}` -> PLAIN_NAME."""

    def placeholder(match: re.Match[str]) -> str:
        kind = {":?": "REQUIRED", ":-": "DEFAULT"}.get(match["op"] or "", "PLAIN")
        return f"{kind}_{match['name']}"

    return INTERPOLATION.sub(placeholder, text)


def secret_problems(name: str, value: object) -> list[str]:
    """Why an environment entry would put a secret into the file (empty when it does not)."""
    text = str(value)
    if text.startswith("{"):  # an Airflow connection in JSON: its password must be a required .env variable
        password = json.loads(placeholders(text)).get("password")
        ok = password is None or re.fullmatch(r"REQUIRED_[A-Z0-9_]+", password)
        return [] if ok else [f"{name} has a password that is not a required .env variable"]
    if "://" in text:  # a URL: its password, if any, must be a required .env variable
        password = urlsplit(placeholders(text)).password
        ok = password is None or re.fullmatch(r"REQUIRED_[A-Z0-9_]+", password)
        return [] if ok else [f"{name} has a password in its URL that is not a required .env variable"]
    if SECRET_NAME.search(name) and not name.endswith("_FILE"):
        match = INTERPOLATION.fullmatch(text)
        if not match or (match["op"] == ":-" and match["arg"]):
            return [f"{name}={text!r} is not taken from .env (or has a default value)"]
    return []


def test_no_secret_is_written_in_the_file() -> None:
    problems = [
        problem
        for service in SERVICES.values()
        for name, value in (service.get("environment") or {}).items()
        for problem in secret_problems(name, value)
    ]
    assert problems == []
    assert secret_problems("DEMO_PASSWORD", "hunter2") and secret_problems("X", "postgresql://me:hunter2@db/x")
    assert secret_problems("AIRFLOW_CONN_X", '{"conn_type": "postgres", "password": "hunter2"}')
    assert ".env" in (REPO_ROOT / ".dockerignore").read_text().split()


def test_the_stack_sets_the_variables_the_native_run_sets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    native = set(native_environment(monkeypatch, tmp_path)) - {"PATH"}
    settings = {f"{name.upper()}_{kind}" for name in config.DEFAULT_BASE_URLS for kind in ("TOKEN", "BASE_URL")}
    settings |= {variable for secrets in config.EXTRA_SECRETS.values() for variable, _ in secrets}
    for name, service in airflow_services().items():
        missing = sorted((native | settings) - set(service["environment"]))
        assert missing == [], f"{name} lacks {missing}"
    init_environment = SERVICES["airflow-init"]["environment"]
    assert {roles.password_variable(role) for role in roles.ROLES} <= set(init_environment)


def test_the_dag_folder_is_the_repositorys_as_in_the_native_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    native = Path(native_environment(monkeypatch, tmp_path)["AIRFLOW__CORE__DAGS_FOLDER"])
    home = re.search(r"^ENV SMARKETING_HOME=(\S+)", DOCKERFILE, re.MULTILINE).group(1)
    copies_the_repository = re.search(r"^COPY (--chown=\S+ )?\. \$\{SMARKETING_HOME\}$", DOCKERFILE, re.MULTILINE)
    assert copies_the_repository, "the image holds the repository at SMARKETING_HOME"
    for name, service in {**airflow_services(), "airflow-init": SERVICES["airflow-init"]}.items():
        environment = service["environment"]
        dags = PurePosixPath(environment["AIRFLOW__CORE__DAGS_FOLDER"])
        assert dags.relative_to(home) == PurePosixPath(native.relative_to(REPO_ROOT).as_posix())
        assert environment["PYTHONPATH"] == home  # `import warehouse` as natively (the .pth of the venv)
        assert f"./{native.relative_to(REPO_ROOT).as_posix()}:{dags}:ro" in service["volumes"], name


def test_the_sandbox_is_an_optional_profile_serving_the_demo_story() -> None:
    sandbox = SERVICES["sandbox"]
    assert sandbox["profiles"] == ["sandbox"]
    others = [name for name, service in SERVICES.items() if name != "sandbox" and service.get("profiles")]
    assert others == []  # `docker compose up` starts everything else
    arguments = sandbox["command"]
    assert arguments[0] == "serve"
    assert arguments[arguments.index("--seed") + 1] == str(DEMO_SEED)
    assert arguments[arguments.index("--scale") + 1] == str(DEMO_SCALE)
    assert "/_sandbox/health" in " ".join(sandbox["healthcheck"]["test"])


def test_state_lives_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source, _target, *mode = volume.split(":")
            if source.startswith("."):
                assert mode == ["ro"], f"{name}: bind mount {volume} should be read-only"
            else:
                assert source in declared, f"{name}: {source} is not a declared named volume"
    for name in ("airflow-db", "warehouse-db"):
        assert any(volume.startswith(f"{name}:") for volume in SERVICES[name]["volumes"])


def test_every_required_variable_is_documented() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    required = {match["name"] for match in INTERPOLATION.finditer(text) if match["op"] == ":?"}
    documentation = (REPO_ROOT / "docs" / "production.md").read_text()
    assert required and sorted(name for name in required if name not in documentation) == []
