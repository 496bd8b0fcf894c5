"""The ground truth equals what a careful reader of the API would count."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from sandbox.launcher import REPO_ROOT
from sandbox.truth import CANONICAL_STAGES, contacts_by_week_and_stage
from tests.sandbox.hubspot_client import Client

# Written out here rather than imported, so that the test checks the sandbox's mapping instead of reusing it.
HUBSPOT_TO_CANONICAL = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "other": "other",
}
CASES = [
    # seed, scale, as_of, extra server arguments
    (3, 400, "2026-02-15T12:00:00Z", ()),
    (11, 1500, "2026-03-10T00:00:00Z", ()),
    (5, 250, "2026-03-30T00:00:00Z", ("--fault", "unknown_lifecycle=0.1", "--fault", "missing_email=0.2")),
]


def counted_from_api(client: Client) -> dict[tuple[date, str | None], int]:
    counts: Counter[tuple[date, str | None]] = Counter()
    for record in client.walk(limit=100, properties="createdate,lifecyclestage"):
        created = datetime.fromisoformat(record["properties"]["createdate"].replace("Z", "+00:00")).date()
        week = created - timedelta(days=created.weekday())
        counts[(week, HUBSPOT_TO_CANONICAL.get(record["properties"]["lifecyclestage"]))] += 1
    return dict(counts)


@pytest.mark.parametrize(("seed", "scale", "as_of", "extra"), CASES)
def test_truth_equals_the_served_active_contacts_counted_by_week_and_stage(
    start_sandbox: Callable[..., Client], seed: int, scale: int, as_of: str, extra: tuple[str, ...]
) -> None:
    client = start_sandbox("--seed", str(seed), "--scale", str(scale), "--now", as_of, *extra)
    faults = {name: float(rate) for name, rate in (value.split("=") for value in extra[1::2])}
    truth = contacts_by_week_and_stage(seed, scale, as_of, faults)
    assert truth == counted_from_api(client)
    assert sum(truth.values()) > scale / 4


def test_truth_shrinks_when_taken_earlier() -> None:
    earlier = contacts_by_week_and_stage(3, 400, "2026-02-15T12:00:00Z")
    later = contacts_by_week_and_stage(3, 400, "2026-03-30T00:00:00Z")
    assert sum(earlier.values()) < sum(later.values())
    assert max(week for week, _ in earlier) == date(2026, 2, 9)


def test_truth_keys_use_canonical_stages_and_none_for_planted_unknown_values() -> None:
    truth = contacts_by_week_and_stage(5, 250, "2026-03-30T00:00:00Z", {"unknown_lifecycle": 0.3})
    stages = {stage for _, stage in truth}
    assert None in stages
    assert stages - {None} <= set(CANONICAL_STAGES)
    assert all(week.weekday() == 0 for week, _ in truth)


def test_truth_command_prints_the_same_numbers_as_json() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "sandbox", "truth", "--seed", "3", "--scale", "400", "--as-of", "2026-02-15T12:00:00Z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    rows = json.loads(output)["contacts_by_week_and_stage"]
    printed = {(date.fromisoformat(row["week"]), row["stage"]): row["contacts"] for row in rows}
    assert printed == contacts_by_week_and_stage(3, 400, "2026-02-15T12:00:00Z")
