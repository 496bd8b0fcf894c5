"""`python -m warehouse demo|night|stop|ui`: what the Makefile's demo, night, stop and ui targets run."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from warehouse import config, services, summary
from warehouse.airflow_cli import NightFailedError, generate_manifest, night_dag_ids, run_night, setup

DEMO_LOGICAL_DATE = "2026-03-30"  # the sandbox story's default "now": a midnight run sees all of it
DEMO_SEED = 42
# 1,000 contacts hand sales about the agreed 20 MQLs a week (glossary_sla_targets.csv); a smaller story's first
# weeks, while the first leads age into MQLs, fall below the marketing_to_sales volume band and warn.
DEMO_SCALE = 1000


def demo(logical_date: str) -> int:
    """One night against the sandbox APIs (started here) on the embedded or configured warehouse."""
    config.check(require_warehouse=False)  # the DAGs' settings, before anything starts
    warehouse_url = services.ensure_warehouse()
    sandbox = services.start_sandbox(seed=DEMO_SEED, scale=DEMO_SCALE)
    print(f"sandbox APIs at {sandbox.base_url}")
    return _night(services.airflow_env(warehouse_url, sandbox), logical_date, "demo")


def night(logical_date: str) -> int:
    """One night against the sources configured in the environment (e.g. a real HubSpot account).

    HubSpot is required; an ad platform takes part when its token is set (`GOOGLE_ADS_TOKEN`, ...).
    """
    from extractors.runner import SOURCES

    sources = [name for name in SOURCES if name == "hubspot" or os.environ.get(f"{name.upper()}_TOKEN")]
    config.check(sources)  # fail before any work when a token, URL or DAG setting is missing or malformed
    warehouse_url = services.ensure_warehouse()
    dag_ids = [f"ingest_{name}" for name in sources] + ["build_warehouse"]
    return _night(services.airflow_env(warehouse_url, None), logical_date, "night", dag_ids)


def _night(env: dict[str, str], logical_date: str, name: str, dag_ids: list[str] | None = None) -> int:
    env["SMARKETING_TASK_RETRIES"] = env.get("SMARKETING_TASK_RETRIES", "0")
    log_path = services.LOG_DIR / f"{name}.log"
    print(f"warehouse {summary.without_password(env['WAREHOUSE_URL'])}")
    dag_ids = dag_ids or night_dag_ids()
    print(f"running {', then '.join(dag_ids)} for {logical_date} (dag.test, one process; log: {log_path}) ...")
    try:
        run_night(env, logical_date, log_path, dag_ids)
    except NightFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary.render(summary.collect(env["WAREHOUSE_URL"])))
    return 0


def ui() -> int:
    warehouse_url = services.ensure_warehouse()
    sandbox = services.start_sandbox(seed=DEMO_SEED, scale=DEMO_SCALE)
    env = services.airflow_env(warehouse_url, sandbox)
    home = Path(env["AIRFLOW_HOME"])
    with open(services.LOG_DIR / "ui-setup.log", "w") as log:
        setup(env, log)  # metadata, pools, and the dbt manifest build_warehouse is loaded from
    print(
        "Airflow UI: http://localhost:8080 (user admin; password in "
        f"{home}/simple_auth_manager_passwords.json.generated)"
    )
    print("Ctrl-C stops it.", flush=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run([airflow, "standalone"], env=env, check=False).returncode


def docs(port: int) -> int:
    """Generate the dbt docs site (models, columns, lineage, glossary) and serve it on localhost."""
    os.environ["WAREHOUSE_URL"] = services.ensure_warehouse()
    from warehouse.dbt import dbt_env, run_dbt, target_dir

    run_dbt("docs", "generate")
    print(f"dbt docs: http://localhost:{port} (Ctrl-C stops it)", flush=True)
    dbt = str(Path(sys.executable).with_name("dbt"))
    argv = [dbt, "docs", "serve", "--no-browser", "--port", str(port), "--target-path", str(target_dir())]
    return subprocess.run(argv, cwd=config.DBT_PROJECT_DIR, env=dbt_env(), check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="run one night end to end on the local services")
    demo_parser.add_argument("--date", default=DEMO_LOGICAL_DATE, help="logical date of the night")
    night_parser = commands.add_parser("night", help="run one night against the configured sources")
    night_parser.add_argument("--date", required=True, help="logical date of the night (YYYY-MM-DD)")
    commands.add_parser("stop", help="stop the embedded Postgres and sandbox this checkout started")
    commands.add_parser("ui", help="Airflow standalone with these DAGs")
    commands.add_parser("manifest", help="write dbt_project/target/manifest.json (dbt parse) for build_warehouse")
    docs_parser = commands.add_parser("docs", help="generate and serve the dbt docs site")
    docs_parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return demo(args.date)
        if args.command == "night":
            return night(args.date)
        if args.command == "docs":
            return docs(args.port)
        if args.command == "ui":
            return ui()
        if args.command == "manifest":
            print(f"wrote {generate_manifest(dict(os.environ))}")
            return 0
        stopped = services.stop_all()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return 0
    except config.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
