"""The compose stack's one-shot init service: check every setting, then set up what `make demo` sets up natively.

1. The settings (`warehouse.config.check`) with the Airflow connections applied as the tasks apply them
   (`AIRFLOW_CONN_<SOURCE>_DEFAULT` wins over `<SOURCE>_TOKEN`): a missing or malformed one stops the stack here,
   before any work, with messages naming each setting. Every source is required: `build_warehouse` waits for the
   raw tables of all of them.
2. The admin password of the Airflow UI (simple auth manager) from AIRFLOW_ADMIN_PASSWORD, into the file the
   api-server reads (a named volume), instead of a password generated inside one container.
3. The warehouse roles and grants (`warehouse.roles`, passwords from SMARKETING_<ROLE>_PASSWORD).
4. `warehouse.airflow_cli.setup`, as natively: `airflow db migrate`, one pool per API credential, the dbt manifest.

Run by the compose file as `python /opt/smarketing/docker/init.py`; exits 2 on a configuration error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from warehouse import config, connections, roles
from warehouse.airflow_cli import setup

ADMIN_PASSWORD_VARIABLE = "AIRFLOW_ADMIN_PASSWORD"  # noqa: S105 (a variable name)
PASSWORDS_FILE_VARIABLE = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
ADMIN_USER = "admin"


def parse_connection(variable: str, value: str, conn_id: str) -> Any:
    """An `AIRFLOW_CONN_*` value as Airflow reads it (JSON, or a URI); a ConfigError naming the variable if it cannot.

    The JSON form (what `make demo` sets) is read here without importing Airflow: the fields are Airflow's
    (host, port, login, password, schema, extra). A URI goes through Airflow's own parser.
    """
    try:
        if not value.lstrip().startswith("{"):
            from airflow.sdk.definitions.connection import Connection

            return Connection.from_uri(value, conn_id=conn_id)
        fields = json.loads(value)
        extra = fields.get("extra") or {}
        return SimpleNamespace(
            host=fields.get("host"),
            port=int(fields["port"]) if fields.get("port") not in (None, "") else None,
            login=fields.get("login"),
            password=fields.get("password"),
            schema=fields.get("schema"),
            extra_dejson=json.loads(extra) if isinstance(extra, str) else dict(extra),
        )
    except (ValueError, TypeError, AttributeError) as exc:  # never echo the value: it holds a token
        raise config.ConfigError(
            f"{variable} is not a connection Airflow can read ({type(exc).__name__}): use JSON such as "
            '{"conn_type": "http", "host": "https://api.hubapi.com", "password": "<token>"} or a URI'
        ) from None


def apply_connections(environ: dict[str, str]) -> None:
    """Map the `AIRFLOW_CONN_*` variables in `environ` onto the settings, as `warehouse.connections` does in a task."""
    for source in config.DEFAULT_BASE_URLS:
        conn_id = connections.connection_id(source)
        variable = f"AIRFLOW_CONN_{conn_id.upper()}"
        if environ.get(variable, "").strip():
            environ.update(connections.source_env(parse_connection(variable, environ[variable], conn_id), source))
    variable = f"AIRFLOW_CONN_{connections.WAREHOUSE_CONNECTION_ID.upper()}"
    if environ.get(variable, "").strip():
        conn = parse_connection(variable, environ[variable], connections.WAREHOUSE_CONNECTION_ID)
        environ["WAREHOUSE_URL"] = connections.warehouse_url(conn)


def check_settings() -> None:
    """Every source's token and URL, the warehouse, the DAG settings; the admin password of the UI."""
    overlaid = dict(os.environ)
    problems = []
    try:
        apply_connections(overlaid)
    except config.ConfigError as exc:
        problems.append(str(exc))
    saved = dict(os.environ)
    os.environ.update(overlaid)
    try:
        config.check(sorted(config.DEFAULT_BASE_URLS))
    except config.ConfigError as exc:
        problems.append(str(exc))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if not os.environ.get(ADMIN_PASSWORD_VARIABLE, "").strip():
        problems.append(f"{ADMIN_PASSWORD_VARIABLE} is not set: choose the Airflow UI's admin password in .env")
    if problems:
        raise config.ConfigError("\n".join(problems))


def write_admin_password() -> Path:
    """The simple auth manager's passwords file: {"admin": AIRFLOW_ADMIN_PASSWORD}, readable by its owner only."""
    path = Path(os.environ.get(PASSWORDS_FILE_VARIABLE) or Path(os.environ["AIRFLOW_HOME"]) / "passwords.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps({ADMIN_USER: os.environ[ADMIN_PASSWORD_VARIABLE].strip()}))
    return path


def main() -> int:
    try:
        check_settings()
    except config.ConfigError as exc:
        print(f"configuration error (fix .env, then `docker compose up` again):\n{exc}", file=sys.stderr)
        return 2
    print(f"Airflow UI admin password written to {write_admin_password()}", flush=True)
    if roles.main(["bootstrap"]) != 0:
        return 2
    setup(dict(os.environ), sys.stdout)  # airflow db migrate, pools, dbt manifest (DBT_TARGET_PATH)
    print("init done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
