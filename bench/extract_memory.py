"""Full extract+load of the sandbox's HubSpot contacts: records/s and the extractor process's peak memory.

Run: `.venv/bin/python bench/extract_memory.py [--scale 1000000] [--scale 100000 ...]`. For each scale: the
sandbox serves that many contacts with its limits off; `python -m extractors run hubspot --stream contacts`
runs as a child process into a scratch database (WAREHOUSE_URL's server or the embedded Postgres), with the
client's own request budget lifted too (the limits are off: what is measured is the extractor, not a
budget); the child's peak RSS comes from the kernel (`wait4`'s `ru_maxrss`), and its RSS is also sampled
every 0.5 s to show whether memory grows with the records read (it should not: pages stream through).

Prints per scale: records, pages, seconds, records/s, peak RSS and its ratio to the 500 MB target (< 1 is
good), and the RSS sampled at 10% and at 90% of the run. Several scales show how time and memory scale
when the largest one takes too long on a given machine. Not a test: numbers measured in one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from _scratch import scratch_database  # bench/ is on sys.path when a script runs

from sandbox.launcher import REPO_ROOT, running_sandbox

TOKEN = "bench-token"
TARGET_BYTES = 500_000_000
# The child: the production CLI, with the client's request budget lifted (the sandbox's limits are off).
CHILD = """
import sys
from extractors.hubspot import client
client.REQUESTS_PER_TEN_SECONDS = 1_000_000_000
from extractors.__main__ import main
sys.exit(main(["run", "hubspot", "--stream", "contacts"]))
"""


@dataclass(frozen=True)
class Run:
    scale: int
    records: int
    pages: int
    seconds: float
    peak_rss: int
    early_rss: int
    late_rss: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


class RssSamples:
    """(seconds since start, RSS) of a process every `interval_s`, until it exits."""

    def __init__(self, pid: int, interval_s: float = 0.5) -> None:
        self.samples: list[tuple[float, int]] = []
        self._process = psutil.Process(pid)
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        while True:
            try:
                rss = self._process.memory_info().rss
            except psutil.Error:
                return
            self.samples.append((time.monotonic() - self._started, rss))
            time.sleep(interval_s)

    def at(self, share: float) -> int:
        """The RSS sampled at `share` (0..1) of the run."""
        if not self.samples:
            return 0
        moment = self.samples[-1][0] * share
        return min(self.samples, key=lambda sample: abs(sample[0] - moment))[1]


def extract(scale: int, seed: int) -> Run:
    arguments = ["--token", TOKEN, "--seed", str(seed), "--scale", str(scale)]
    with running_sandbox(arguments, timeout_s=300) as sandbox, scratch_database() as database:
        env = {name: value for name, value in os.environ.items() if not name.startswith(("WAREHOUSE_", "HUBSPOT_"))}
        env |= {"WAREHOUSE_URL": database, "HUBSPOT_BASE_URL": sandbox.url, "HUBSPOT_TOKEN": TOKEN}
        with tempfile.TemporaryFile() as output:
            started = time.monotonic()
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD], cwd=REPO_ROOT, env=env, stdout=output, stderr=output
            )
            samples = RssSamples(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.monotonic() - started
            output.seek(0)
            text = output.read().decode(errors="replace")
        if child.returncode != 0:
            raise SystemExit(f"the extractor failed (exit {child.returncode}):\n{text[-2000:]}")
        with psycopg.connect(database) as conn:
            records, pages = conn.execute(
                "select records, pages from raw._batches where stream = 'contacts' and status = 'succeeded'"
            ).fetchone()
    return Run(scale, records, pages, seconds, usage.ru_maxrss * 1024, samples.at(0.1), samples.at(0.9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="contacts served (repeatable; default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    runs = [extract(scale, args.seed) for scale in args.scale or [1_000_000]]

    print(
        "full extract+load of sandbox contacts (every property, history, archived pass), limits off, "
        f"one child process: {Path(sys.executable).name} -m extractors run hubspot --stream contacts"
    )
    print(
        f"{'scale':>10} {'records':>10} {'pages':>7} {'seconds':>8} {'records/s':>10} {'peak RSS':>9} "
        f"{'ratio to 500 MB':>16} {'RSS at 10% / 90%':>18}"
    )
    for run in runs:
        print(
            f"{run.scale:>10,} {run.records:>10,} {run.pages:>7,} {run.seconds:>8.1f} {run.rate:>10,.0f} "
            f"{run.peak_rss / 1e6:>6.0f} MB {run.peak_rss / TARGET_BYTES:>16.2f} "
            f"{run.early_rss / 1e6:>8.0f} / {run.late_rss / 1e6:.0f} MB"
        )


if __name__ == "__main__":
    main()
