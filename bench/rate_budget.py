"""How much of HubSpot's rate budget the extractor uses, against the sandbox with its rate limit on.

Run: `.venv/bin/python bench/rate_budget.py [--limit 100] [--scale 20000] [--since-days 30]`. Starts the
sandbox with `--rate-limit LIMIT` (HubSpot's TEN_SECONDLY_ROLLING budget: LIMIT requests per rolling 10 s;
100 on Free/Starter portals; search then also gets its SECONDLY policy, 5 per second), and runs the contacts
stream twice into a scratch database, in this process, with the client exactly as `make_client` builds it
(its own budget of 90 per 10 s, default retry policy):

1. a full read (list pages of 50 with property history, then the archived list);
2. an incremental read (`--since` N days back: search pages of 200, each re-read through batch/read).

For each it prints requests sent, the 429s received, seconds, requests/s over the whole run and over its
steady state (the whole 10 s windows after the first, whose burst is free), and the ratios requests/s / the
API's budget (target >= 0.9, zero failed runs) and / the client's own budget. Not a test: it prints ratios
measured in one run.
"""

from __future__ import annotations

import argparse
import datetime
import time
from dataclasses import dataclass, field

import psycopg
import requests
from _scratch import scratch_database  # bench/ is on sys.path when a script runs

from extractors.core.http import HttpClient
from extractors.hubspot import client as hubspot_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import RunOptions, StreamReport, run_stream
from sandbox.launcher import running_sandbox
from warehouse.config import Secret, SourceSettings

TOKEN = "bench-token"
WINDOW_S = 10.0
TARGET = 0.9
CONTACTS = next(stream for stream in STREAMS if stream.name == "contacts")


@dataclass(frozen=True)
class Measured:
    report: StreamReport
    requests: int
    refused: int
    seconds: float
    steady_rate: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Traffic:
    """When each answer came back, and how many were 429s."""

    answered: list[float] = field(default_factory=list)
    refused: int = 0

    def count(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.answered.append(time.monotonic())
        self.refused += response.status_code == 429


def watched_client(url: str) -> tuple[HttpClient, Traffic]:
    """The production client, with its traffic recorded."""
    client = hubspot_client.make_client(SourceSettings(name="hubspot", base_url=url, token=Secret(TOKEN)))
    traffic = Traffic()
    client.session.hooks["response"].append(traffic.count)
    return client, traffic


def steady_rate(answered: list[float]) -> float:
    """Requests/s over the whole 10 s windows after the first (whose burst a fresh rolling window allows).

    Windows are counted from the first answer; the last, partial window is left out (a run ends anywhere).
    """
    first = answered[0]
    windows = int((answered[-1] - first) // WINDOW_S)
    if windows < 2:
        return float("nan")
    inside = [instant for instant in answered if WINDOW_S <= instant - first < windows * WINDOW_S]
    return len(inside) / ((windows - 1) * WINDOW_S)


def measure(url: str, warehouse_url: str, options: RunOptions) -> Measured:
    client, traffic = watched_client(url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        started = time.monotonic()
        report = run_stream(CONTACTS, client, conn, options=options)
        seconds = time.monotonic() - started
    return Measured(report, client.requests_sent, traffic.refused, seconds, steady_rate(traffic.answered))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100, help="the sandbox's requests per rolling 10 s")
    parser.add_argument("--scale", type=int, default=20_000, help="contacts the sandbox serves")
    parser.add_argument("--since-days", type=int, default=30, help="how far back the incremental read starts")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    budget = args.limit / WINDOW_S
    own = hubspot_client.REQUESTS_PER_TEN_SECONDS / WINDOW_S
    arguments = ["--token", TOKEN, "--seed", str(args.seed), "--scale", str(args.scale)]
    since = datetime.datetime(2026, 3, 30, tzinfo=datetime.UTC) - datetime.timedelta(days=args.since_days)
    runs = {
        "full read": RunOptions(full_refresh=True),
        f"incremental, --since {since:%Y-%m-%d}": RunOptions(since=since),
    }
    results = {}
    with (
        running_sandbox([*arguments, "--rate-limit", str(args.limit)], timeout_s=120) as sandbox,
        scratch_database() as db,
    ):
        for label, options in runs.items():
            results[label] = measure(sandbox.url, db, options)

    print(
        f"rate budget: sandbox at {args.limit} requests per 10 s ({budget:g}/s; search also 5/s), "
        f"{args.scale:,} contacts; the client keeps to {hubspot_client.REQUESTS_PER_TEN_SECONDS} per 10 s"
    )
    for label, measured in results.items():
        report = measured.report
        print(
            f"  {label}: {report.records:,} records in {report.pages} pages, {measured.requests} requests, "
            f"{measured.refused} refused (429), {measured.seconds:.1f} s"
        )
        print(
            f"    requests/s: {measured.rate:.2f} over the run, {measured.steady_rate:.2f} steady "
            f"(whole 10 s windows after the first); "
            f"ratio to the API's budget {measured.rate / budget:.2f} (steady {measured.steady_rate / budget:.2f}, "
            f"target >= {TARGET}); to the client's own {measured.rate / own:.2f} "
            f"(steady {measured.steady_rate / own:.2f})"
        )
    print("  failed runs: 0 (a failed run raises before this line)")


if __name__ == "__main__":
    main()
