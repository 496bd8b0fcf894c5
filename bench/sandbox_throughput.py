"""Sandbox serving 1,000,000 contacts: records/s through the list endpoint, server memory, start-up time.

Run: `.venv/bin/python bench/sandbox_throughput.py [--scale 1000000] [--pages 300]`. Starts
`python -m sandbox serve` as a child (rate limits off), then over loopback with one `requests.Session`:

- time to start (process spawned -> "sandbox listening" line) and to the first page;
- records/s over `--pages` pages of `limit=100`, following `paging.next.after`, once with the default
  properties and once with every contact property and `propertiesWithHistory=lifecyclestage` (limit 50,
  as an extractor asks), plus a run of pages deep in the id range (position 900,000) to show paging is O(1);
- the server's peak RSS (kernel high-water mark, VmHWM; sampled with psutil where that is missing).

Prints the ratios against the issue's targets: >= 2,000 records/s (ratio >= 1 is good) and < 1 GB of memory
(ratio < 1 is good). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import psutil
import requests

from sandbox.hubspot import CONTACT_PROPERTIES, encode_after
from sandbox.launcher import running_sandbox

TOKEN = "bench-token"
TARGET_RECORDS_PER_S = 2_000
TARGET_MEMORY_BYTES = 1_000_000_000
CONTACTS = "/crm/v3/objects/contacts"


class PeakRss:
    """Samples a process's RSS in the background; prefers the kernel's own high-water mark when readable."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.sampled = max(self.sampled, self.process.memory_info().rss)
            except psutil.Error:
                return

    def peak(self) -> tuple[int, str]:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
        except OSError:
            pass
        return self.sampled, "sampled"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def walk(session: requests.Session, url: str, pages: int, params: dict[str, str], after: str | None = None) -> int:
    """Follow ``pages`` pages from ``after``; return the records read."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    records = 0
    for _ in range(pages):
        query = {**params, **({"after": after} if after else {})}
        response = session.get(url + CONTACTS, params=query, headers=headers, timeout=60)
        response.raise_for_status()
        page = response.json()
        records += len(page["results"])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    return records


def timed_walk(
    session: requests.Session, url: str, pages: int, params: dict[str, str], after: str | None = None
) -> tuple[int, float]:
    started = time.perf_counter()
    records = walk(session, url, pages, params, after)
    return records, records / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    spawned = time.perf_counter()
    arguments = ["--token", TOKEN, "--seed", str(args.seed), "--scale", str(args.scale)]
    with running_sandbox(arguments, timeout_s=120) as sandbox, requests.Session() as session:
        listening = time.perf_counter() - spawned
        rss = PeakRss(sandbox.process.pid)
        walk(session, sandbox.url, 1, {"limit": "100"})
        first_page = time.perf_counter() - spawned
        default_records, default_rate = timed_walk(session, sandbox.url, args.pages, {"limit": "100"})
        full = {"limit": "50", "properties": ",".join(CONTACT_PROPERTIES), "propertiesWithHistory": "lifecyclestage"}
        full_records, full_rate = timed_walk(session, sandbox.url, args.pages, full)
        deep_after = encode_after(min(900_000, max(0, args.scale - 100 * args.pages)))
        deep_records, deep_rate = timed_walk(session, sandbox.url, args.pages, {"limit": "100"}, deep_after)
        peak, how = rss.peak()
        rss.stop()

    print(f"sandbox throughput: scale {args.scale:,} contacts, seed {args.seed}, rate limits off, loopback")
    print(f"  start (spawn -> listening)        {listening:8.2f} s")
    print(f"  start + first page (limit 100)    {first_page:8.2f} s")
    rows = (
        ("default properties, limit 100", default_records, default_rate),
        ("all properties + history, limit 50", full_records, full_rate),
        ("deep pages (position 900,000)", deep_records, deep_rate),
    )
    for label, records, rate in rows:
        ratio = rate / TARGET_RECORDS_PER_S
        print(f"  {label:<34} {rate:8.0f} records/s over {records:,} records  ratio to 2,000/s: {ratio:5.2f}")
    print(
        f"  server peak RSS ({how})            {peak / 1e6:8.1f} MB  "
        f"ratio to 1 GB: {peak / TARGET_MEMORY_BYTES:5.3f} (< 1 is good)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
