"""The funnel truth equals what a careful reader of the served API counts under the documented definitions.

The counting here is written independently of ``sandbox.truth``: it only reads JSON from the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.launcher import REPO_ROOT
from sandbox.truth import funnel_by_week_and_channel, funnel_rows
from tests.sandbox.hubspot_client import Client

CHANNEL = {
    "PAID_SEARCH": "paid_search",
    "PAID_SOCIAL": "paid_social",
    "ORGANIC_SEARCH": "organic_search",
    "EMAIL_MARKETING": "email",
    "REFERRALS": "referral",
    "DIRECT_TRAFFIC": "direct",
    "OFFLINE": "events",
    "SOCIAL_MEDIA": "organic_social",
    "OTHER_CAMPAIGNS": "other",
}
RANK = {"lead": 1, "marketingqualifiedlead": 2, "salesqualifiedlead": 3, "opportunity": 4, "customer": 5}
RANK["evangelist"] = 6
FX = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
SLA = timedelta(hours=24)
CASES = [
    # seed, scale, as_of, faults
    (12, 1500, "2026-03-30T00:00:00Z", {}),
    (3, 700, "2026-02-20T12:00:00Z", {}),
    (8, 900, "2026-03-30T00:00:00Z", {"duplicate_email": 0.1, "unknown_lifecycle": 0.1, "missing_email": 0.1}),
]
Key = tuple[date, str]


def instant(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def week(timestamp: str) -> date:
    day = instant(timestamp).date()
    return day - timedelta(days=day.weekday())


def first_passed(stages: list[tuple[str, str]], rank: int) -> str | None:
    return next((stamp for value, stamp in stages if RANK.get(value, 0) >= rank), None)


def count_from_api(client: Client, as_of: str) -> dict[Key, dict[str, object]]:
    contacts = client.walk(limit=50, properties="email,hs_analytics_source", propertiesWithHistory="lifecyclestage")
    contacts.sort(key=lambda record: int(record["id"]))
    touches: dict[str, list[str]] = defaultdict(list)
    for kind in ("calls", "emails", "meetings"):
        engagements = client.walk(kind, limit=100, properties="hs_timestamp")
        owners = client.associations(kind, "contacts", [engagement["id"] for engagement in engagements])
        for engagement in engagements:
            for contact_id in owners[engagement["id"]]:
                touches[str(contact_id)].append(engagement["properties"]["hs_timestamp"])
    people: dict[str, list[dict]] = defaultdict(list)
    for record in contacts:
        email = (record["properties"]["email"] or "").strip().lower()
        people[email or "id:" + record["id"]].append(record)
    counts: dict[Key, dict[str, object]] = defaultdict(lambda: defaultdict(int))
    person_channel = {}
    for records in people.values():
        channel = CHANNEL[records[0]["properties"]["hs_analytics_source"]]
        stage_lists = []
        for record in records:
            person_channel[record["id"]] = channel
            history = record["propertiesWithHistory"]["lifecyclestage"]
            stage_lists.append([(entry["value"], entry["timestamp"]) for entry in reversed(history)])
        for metric, rank in (("leads", 1), ("sqls", 3), ("opportunities", 4), ("customers", 5)):
            passed = [stamp for stages in stage_lists if (stamp := first_passed(stages, rank))]
            if passed:
                counts[(week(min(passed)), channel)][metric] += 1
        mqls = []
        for record, stages in zip(records, stage_lists, strict=True):
            actual = [stamp for value, stamp in stages if value == "marketingqualifiedlead"]
            inferred = first_passed(stages, 2)
            mqls += actual or ([inferred] if inferred else [])
            mine = sorted(touches[record["id"]])
            for mql in actual:
                deadline = instant(mql) + SLA
                first_touch = next((stamp for stamp in mine if stamp >= mql), None)
                if deadline < instant(as_of) and (first_touch is None or instant(first_touch) > deadline):
                    counts[(week(mql), channel)]["sla_breaches"] += 1
        for position, mql in enumerate(sorted(mqls)):
            counts[(week(mql), channel)]["first_mqls" if position == 0 else "re_mqls"] += 1
    deals = client.walk(
        "deals", limit=100, properties="amount,createdate,deal_currency_code,dealstage,hs_v2_date_entered_closedwon"
    )
    deal_contacts = client.associations("deals", "contacts", [deal["id"] for deal in deals])
    for deal in deals:
        (contact_id,) = deal_contacts[deal["id"]]
        channel = person_channel.get(str(contact_id))
        if channel is None:
            continue  # the contact is archived: left out like the contact itself
        properties = deal["properties"]
        usd = (Decimal(properties["amount"]) * FX[properties["deal_currency_code"]]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        created = (week(properties["createdate"]), channel)
        counts[created]["pipeline_created"] = counts[created].get("pipeline_created", Decimal(0)) + usd
        if properties["dealstage"] == "closedwon":
            won = (week(properties["hs_v2_date_entered_closedwon"]), channel)
            counts[won]["won_revenue"] = counts[won].get("won_revenue", Decimal(0)) + usd
    return {key: dict(metrics) for key, metrics in counts.items()}


def as_plain(truth: dict) -> dict[Key, dict[str, object]]:
    plain = {}
    for key, counts in truth.items():
        row = {name: value for name, value in vars(counts).items() if value}
        plain[key] = row
    return {key: row for key, row in plain.items() if row}


@pytest.mark.parametrize(("seed", "scale", "as_of", "faults"), CASES)
def test_funnel_truth_equals_the_funnel_counted_from_served_history(
    start_sandbox: Callable[..., Client], seed: int, scale: int, as_of: str, faults: dict[str, float]
) -> None:
    arguments = [argument for name, rate in faults.items() for argument in ("--fault", f"{name}={rate}")]
    client = start_sandbox("--seed", str(seed), "--scale", str(scale), "--now", as_of, *arguments)
    truth = funnel_by_week_and_channel(seed, scale, as_of, faults)
    served = count_from_api(client, as_of)
    assert as_plain(truth) == served
    totals: dict[str, object] = defaultdict(int)
    for row in served.values():
        for name, value in row.items():
            totals[name] += value
    # the story is rich enough for every metric to be exercised
    assert set(totals) == {
        "leads",
        "first_mqls",
        "re_mqls",
        "sqls",
        "opportunities",
        "customers",
        "sla_breaches",
        "won_revenue",
        "pipeline_created",
    }
    assert totals["leads"] > totals["first_mqls"] > totals["sqls"] > totals["customers"]
    assert totals["pipeline_created"] > totals["won_revenue"]  # open and lost deals are pipeline too


def test_the_truth_command_prints_the_funnel_with_its_currency() -> None:
    arguments = ["--seed", "3", "--scale", "300", "--as-of", "2026-03-01T00:00:00Z"]
    output = subprocess.run(
        [sys.executable, "-m", "sandbox", "truth", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    document = json.loads(output)
    assert document["reporting_currency"] == "USD"
    assert document["fx_to_reporting_currency"] == {"USD": "1", "EUR": "1.08", "GBP": "1.27"}
    assert document["sla_hours"] == 24
    expected = funnel_rows(funnel_by_week_and_channel(3, 300, "2026-03-01T00:00:00Z"))
    assert document["funnel_by_week_and_channel"] == json.loads(json.dumps(expected))
    assert all(date.fromisoformat(row["week"]).weekday() == 0 for row in expected)
