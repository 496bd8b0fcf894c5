"""Local services a checkout starts: the embedded Postgres, the sandbox APIs, and Airflow's settings.

Pids, ports and the sandbox token are recorded under `.local/` so `make stop` can stop exactly what
this checkout started, and a second `make demo` reuses what is still running.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from warehouse import config, roles
from warehouse.embedded import EmbeddedPostgres

WAREHOUSE_DATABASE = "smarketing"
RUN_DIR = config.LOCAL_DIR / "run"
LOG_DIR = config.LOCAL_DIR / "logs"
SANDBOX_START_SECONDS = 60


def embedded_postgres() -> EmbeddedPostgres:
    return EmbeddedPostgres(config.LOCAL_DIR / "postgres")


def ensure_warehouse() -> str:
    """WAREHOUSE_URL when set (an existing Postgres), else the embedded server's `smarketing` database."""
    if os.environ.get("WAREHOUSE_URL"):
        return config.warehouse().url
    postgres = embedded_postgres()
    postgres.start()
    return roles.bootstrapped(postgres.ensure_database(WAREHOUSE_DATABASE))  # roles and grants (warehouse/roles.py)


@dataclass(frozen=True)
class Sandbox:
    base_url: str
    token: str
    pid: int


def start_sandbox(seed: int = 42, scale: int = 500, extra_args: tuple[str, ...] = ()) -> Sandbox:
    """Start the sandbox APIs on a free loopback port (or reuse the one this checkout runs)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    running = _running_sandbox()
    if running is not None:
        return running
    token = secrets.token_urlsafe(24)
    log_path = LOG_DIR / "sandbox.log"
    argv = [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--seed", str(seed), "--scale", str(scale)]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [*argv, *extra_args],
            cwd=config.REPO_ROOT,
            env={**os.environ, "SANDBOX_TOKEN": token},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives `make demo`, stopped by `make stop`
        )
    base_url = _wait_for_listening_line(log_path, process)
    _write_private(RUN_DIR / "sandbox.token", token)
    (RUN_DIR / "sandbox.url").write_text(base_url)
    (RUN_DIR / "sandbox.pid").write_text(str(process.pid))
    return Sandbox(base_url=base_url, token=token, pid=process.pid)


def _running_sandbox() -> Sandbox | None:
    try:
        pid = int((RUN_DIR / "sandbox.pid").read_text())
        base_url = (RUN_DIR / "sandbox.url").read_text().strip()
        token = (RUN_DIR / "sandbox.token").read_text().strip()
        os.kill(pid, 0)
        healthy = requests.get(f"{base_url}/_sandbox/health", timeout=2).ok
    except (FileNotFoundError, ValueError, ProcessLookupError, requests.RequestException):
        return None
    return Sandbox(base_url=base_url, token=token, pid=pid) if healthy else None


def _wait_for_listening_line(log_path: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + SANDBOX_START_SECONDS
    marker = "sandbox listening on "
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if line.startswith(marker):
                return line[len(marker) :].strip()
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}; see {log_path}:\n{log_path.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the sandbox did not start within {SANDBOX_START_SECONDS}s; see {log_path}")


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


def stop_all() -> list[str]:
    """Stop the sandbox and the embedded Postgres this checkout started; say what was stopped."""
    stopped = []
    pid_file = RUN_DIR / "sandbox.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
            stopped.append("sandbox")
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink()
    if embedded_postgres().stop():
        stopped.append("embedded postgres")
    return stopped


def airflow_env(warehouse_url: str, sandbox: Sandbox | None, home: Path | None = None) -> dict[str, str]:
    """Environment for Airflow commands: local SQLite metadata, these DAGs, nothing phoning home."""
    home = home or config.LOCAL_DIR / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "False",
        "WAREHOUSE_URL": warehouse_url,
        "PYTHONPATH": str(config.REPO_ROOT),
        # Airflow's own subprocesses (standalone, task runners) find `airflow` on the PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    if sandbox is not None:
        env.update({"HUBSPOT_BASE_URL": sandbox.base_url, "HUBSPOT_TOKEN": sandbox.token})
        # The sandbox's Meta report runs advance one step per poll, not with time: poll them without waiting.
        env["META_ADS_POLL_SECONDS"] = "0.02"
    # The DAGs' connections (warehouse_default, <source>_default) as AIRFLOW_CONN_* variables: the tasks map
    # them back onto the settings above (warehouse/connections.py). Source connections only for the sandbox;
    # against real APIs, set AIRFLOW_CONN_HUBSPOT_DEFAULT (or HUBSPOT_BASE_URL/HUBSPOT_TOKEN) yourself.
    from warehouse.connections import airflow_conn_env

    # The sandbox serves every API (HubSpot and the ad platforms) and takes its one token as each credential.
    sources = {name: (sandbox.base_url, sandbox.token) for name in config.DEFAULT_BASE_URLS} if sandbox else {}
    env.update(airflow_conn_env(warehouse_url, sources))
    return env
