"""Validating every contract vs the dbt build it validates, at 100,000 contacts (the contracts issue's target:
validation takes less time than the build).

Run: `.venv/bin/python bench/contracts_vs_build.py [--scale 100000] [--seed 42]`. In a scratch database on
the embedded Postgres (or the server of WAREHOUSE_URL), loads the sandbox's HubSpot and ad platform data at that
scale into raw (not timed), then times one `dbt build` into the build schemas (`warehouse.nightly.build_models`)
and one validation of all five contracts against that build (`warehouse.nightly.validate_contracts`, results
recorded and data docs written as a night does). Prints both times and the ratio validation / build (< 1 meets
the target), plus the contracts' outcome. The scratch database is dropped afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg
from _scratch import scratch_database  # bench/ is on sys.path when a script runs

from sandbox.launcher import running_sandbox
from warehouse.config import LOCAL_DIR

TOKEN = "bench-token"
SOURCES = ("hubspot", "google_ads", "meta_ads", "linkedin_ads")


def load_raw(seed: int, scale: int) -> float:
    """Every source from one sandbox into raw; the seconds it took."""
    from warehouse import nightly

    started = time.perf_counter()
    with running_sandbox(["--token", TOKEN, "--seed", str(seed), "--scale", str(scale)]) as sandbox:
        for source in SOURCES:
            prefix = source.upper()
            os.environ.update({f"{prefix}_BASE_URL": sandbox.url, f"{prefix}_TOKEN": TOKEN})
        os.environ["GOOGLE_ADS_DEVELOPER_TOKEN"] = TOKEN
        os.environ["META_ADS_POLL_SECONDS"] = "0.02"  # the sandbox's report runs advance per poll
        for source in SOURCES:
            nightly.extract(source)
    return time.perf_counter() - started


def timed(step: object, *args: object) -> tuple[float, object]:
    started = time.perf_counter()
    outcome: object
    try:
        outcome = step(*args)  # type: ignore[operator]
    except Exception as error:  # a broken contract still took its time; report it
        outcome = error
    return time.perf_counter() - started, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with scratch_database() as url:
        os.environ.update({"WAREHOUSE_URL": url, "DBT_TARGET_PATH": str(LOCAL_DIR / "bench" / url.rpartition("/")[2])})
        from warehouse import nightly

        loaded = load_raw(args.seed, args.scale)
        with psycopg.connect(url) as conn:
            contacts = conn.execute("select count(distinct record_id) from raw.hubspot__contacts").fetchone()[0]
        build_seconds, built = timed(nightly.build_models)
        if isinstance(built, Exception):
            print(f"dbt build failed: {built}")
            return 1
        validate_seconds, validated = timed(nightly.validate_contracts, "bench")
    print(f"contacts in raw: {contacts:,} (scale {args.scale:,}; all sources loaded in {loaded:.1f} s)")
    print(f"dbt build (seeds, models, tests): {build_seconds:.1f} s")
    print(f"validate all contracts: {validate_seconds:.1f} s")
    outcome = "every blocking contract kept" if not isinstance(validated, Exception) else str(validated)[:500]
    print(f"contracts: {outcome}")
    print(f"ratio validation / build: {validate_seconds / build_seconds:.2f} (target < 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
