"""Time of the impact report at demo scale once the base build exists, against the issue's 60 s target.

Run: `.venv/bin/python bench/impact_report.py [--scale 500] [--no-contracts]`. Creates a scratch database on
the embedded Postgres (or the server of WAREHOUSE_URL), loads the sandbox's HubSpot data at demo scale into
raw, builds the base (a copy of the working tree's dbt project; not timed), then times the whole report for a
head that moves REFERRALS to organic_search and tightens the MQL definition (mql_min_lead_score: 50): head
build with state:modified+ and --defer, comparisons, contracts on both sides (base results computed once,
with the base build, as a CI cache would), Markdown/HTML/JSON written. Prints the ratio (< 1 is good).
The scratch database is dropped afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from impact import build, contracts, review
from impact.project import IGNORED_PARTS, REPO_ROOT
from sandbox.launcher import running_sandbox
from warehouse.config import LOCAL_DIR
from warehouse.embedded import EmbeddedPostgres

TARGET_SECONDS = 60.0
TOKEN = "bench-token"


def server_url() -> str:
    if os.environ.get("WAREHOUSE_URL"):
        return os.environ["WAREHOUSE_URL"].rpartition("/")[0] + "/postgres"
    postgres = EmbeddedPostgres(LOCAL_DIR / "postgres")
    postgres.start()
    return postgres.url("postgres")


def load_raw(url: str, seed: int, scale: int) -> None:
    from warehouse import nightly

    os.environ.update({"WAREHOUSE_URL": url, "HUBSPOT_TOKEN": TOKEN})
    with running_sandbox(["--token", TOKEN, "--seed", str(seed), "--scale", str(scale)]) as sandbox:
        os.environ["HUBSPOT_BASE_URL"] = sandbox.url
        nightly.extract("hubspot")


def copy_project(destination: Path) -> Path:
    shutil.copytree(
        REPO_ROOT / "dbt_project", destination, ignore=lambda _d, names: [n for n in names if n in IGNORED_PARTS]
    )
    return destination


def edit_head(project: Path) -> None:
    rules = project / "seeds/glossary/glossary_channel_rules.csv"
    rules.write_text(rules.read_text().replace("REFERRALS,referral", "REFERRALS,organic_search"))
    config = project / "dbt_project.yml"
    config.write_text(config.read_text().replace("mql_min_lead_score: null", "mql_min_lead_score: 50"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=int, default=500)
    parser.add_argument("--no-contracts", action="store_true")
    args = parser.parse_args()

    server = server_url()
    name = f"bench_impact_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = f"{server.rpartition('/')[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            started = time.perf_counter()
            load_raw(url, args.seed, args.scale)
            base_dir, head_dir = copy_project(work / "base-src"), copy_project(work / "head-src")
            edit_head(head_dir)
            options = review.Options(
                url=url, work_dir=work / "work", base_dir=base_dir, head_dir=head_dir, contracts=not args.no_contracts
            )
            base, _ = review.sides(options)
            review.materialise(options, base, review.sides(options)[1])
            state = build.build_base(base, url, options.work_dir / "base.json")
            if options.contracts:
                state.contracts = contracts.validate_side(url, base.schema_prefix)
                state.save(options.work_dir / "base.json")
            prepared = time.perf_counter() - started

            started = time.perf_counter()  # a fresh process, as `make impact` runs it (GX import included)
            argv = [sys.executable, "-m", "impact", "--base-dir", str(base_dir), "--head-dir", str(head_dir)]
            argv += ["--work-dir", str(options.work_dir), "--out", str(work / "report")]
            argv += ["--no-contracts"] if args.no_contracts else []
            subprocess.run(argv, env={**os.environ, "WAREHOUSE_URL": url}, check=True, capture_output=True)
            seconds = time.perf_counter() - started
            report = json.loads((work / "report" / "impact.json").read_text())
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')

    print(
        f"impact report at scale {args.scale} (seed {args.seed}); raw load + base build: {prepared:.1f} s (not timed)"
    )
    for step, value in report["seconds"].items():
        print(f"  {step:<32} {value:6.1f} s")
    print(f"  deltas {len(report['deltas'])}, marts {len(report['marts'])}, moved {report['moved']}")
    print(f"report time {seconds:.1f} s; ratio vs {TARGET_SECONDS:.0f} s: {seconds / TARGET_SECONDS:.2f} (< 1 is good)")


if __name__ == "__main__":
    main()
