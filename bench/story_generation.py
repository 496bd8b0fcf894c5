"""Generating the 1,000,000-contact story: every CRM object once, against the issue's 2-minute target.

Run: `.venv/bin/python bench/story_generation.py [--scale 1000000] [--seed 1]`. The sandbox generates lazily
(nothing is precomputed at start-up), so "generating the story" here means what serving every page of every
object type would make the server compute, without the JSON and HTTP: for each contact existing at the default
now its profile and history (`sandbox.story.Story.view`), the rendered contact with its tracked property
histories (`Contacts.item`), its deal and its engagements as their list endpoints build them, and every company.
One process, one pass, nothing kept (peak RSS printed to show it).

Prints the phases (profiles alone, then everything rendered), objects per second and the ratio of the total
time to the 120 s target (ratio < 1 is good). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter

from sandbox.hubspot_objects import Companies, Contacts, Deals, Engagements, object_types
from sandbox.story import DEFAULT_NOW, Story, to_ms

TARGET_SECONDS = 120.0


def generate_profiles(story: Story, now_ms: int, count: int) -> int:
    """Each contact's simulated life up to now (profile, changes, deal, touches), nothing rendered."""
    changes = 0
    for index in range(count):
        view = story.view(index, now_ms)
        changes += len(view.changes) + len(view.touches)
    return changes


def generate_objects(story: Story, now_ms: int) -> Counter[str]:
    """Every object of every type, rendered as the list endpoints render them (properties and histories)."""
    types = object_types(story, now_ms)
    contacts = types["contacts"]
    deals = types["deals"]
    companies = types["companies"]
    engagements = {name: kind for name, kind in types.items() if isinstance(kind, Engagements)}
    assert isinstance(contacts, Contacts) and isinstance(deals, Deals) and isinstance(companies, Companies)
    made: Counter[str] = Counter()
    for index in range(contacts.contact_count):
        view = contacts.view(index)  # one view per contact, shared by its deal and engagements as in a scan
        contacts.item(view)
        made["contacts"] += 1
        deal = view.deal
        if deal is not None:
            deals.item(deal)
            made["deals"] += 1
        for touch in view.touches:
            engagements[touch.kind].item(view, touch)
            made[touch.kind] += 1
    for _ in companies.scan(0):
        made["companies"] += 1
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    now_ms = to_ms(DEFAULT_NOW)
    story = Story(args.seed, args.scale)
    started = time.perf_counter()
    count = story.count_at(now_ms)
    counted = time.perf_counter() - started

    started = time.perf_counter()
    changes = generate_profiles(story, now_ms, count)
    profiles = time.perf_counter() - started

    started = time.perf_counter()
    made = generate_objects(story, now_ms)
    objects = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    total = sum(made.values())

    print(f"story generation: scale {args.scale:,} contacts, seed {args.seed}, now {DEFAULT_NOW.isoformat()}")
    print(f"  contacts existing at now            {count:12,}  ({counted:.2f} s to count)")
    print(f"  profiles + histories only           {profiles:10.1f} s  {count / profiles:10,.0f} contacts/s"
          f"  ({changes:,} changes and touches)")  # fmt: skip
    print(f"  every object rendered               {objects:10.1f} s  {total / objects:10,.0f} objects/s")
    for name, number in sorted(made.items()):
        print(f"      {name:<12} {number:12,}")
    print(f"  peak RSS                            {peak_rss / 1e6:10.0f} MB")
    print(f"  ratio to the {TARGET_SECONDS:.0f} s target (every object rendered): {objects / TARGET_SECONDS:.2f}"
          " (< 1 is good)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
