"""How the story draws its randomness: keyed draws and streams are stable, cheap shortcuts draw what they replace."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest

from sandbox.ads.story import _weighted_pick
from sandbox.story import (
    _JOB_TITLE_WEIGHTS,
    _SOURCE_WEIGHTS,
    COMPANY_ID_BASE,
    COMPANY_ID_STEP,
    COMPANY_TIERS,
    MERGE_BLOCK,
    MERGE_PROBABILITY,
    Story,
    iso_ms,
)
from sandbox.streams import stream, uniform, uniforms

DRAWS_PROGRAM = """
import json
from sandbox.streams import stream, uniform, uniforms
from sandbox.story import Story
story = Story(seed=3, scale=400)
print(json.dumps({
    "uniforms": uniforms(4, 3, "merge", 17),
    "uniform": uniform(3, "arrival", 5),
    "stream": [stream(3, 42).random() for _ in range(3)],
    "contact": [story.profile(index).email for index in (0, 57, 399)],
    "company": story.company(31).domain,
}))
"""


def draws_here() -> dict[str, object]:
    story = Story(seed=3, scale=400)
    return {
        "uniforms": list(uniforms(4, 3, "merge", 17)),
        "uniform": uniform(3, "arrival", 5),
        "stream": [stream(3, 42).random() for _ in range(3)],
        "contact": [story.profile(index).email for index in (0, 57, 399)],
        "company": story.company(31).domain,
    }


def test_draws_are_the_same_in_a_process_with_another_string_hash_seed() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # hash() of a str differs; nothing may depend on it
    out = subprocess.run([sys.executable, "-c", DRAWS_PROGRAM], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == draws_here()


def test_keyed_uniforms_lie_in_the_unit_interval_and_differ_by_key() -> None:
    draws = [value for key in range(2000) for value in uniforms(8, 1, "k", key)]
    assert all(0.0 <= value < 1.0 for value in draws)
    assert len(set(draws)) == len(draws)
    assert 0.48 < statistics.fmean(draws) < 0.52
    assert uniforms(3, 1, "k", 5) == uniforms(3, 1, "k", 5) != uniforms(3, 2, "k", 5)
    assert uniform(1, "k", 5) == uniforms(1, 1, "k", 5)[0]
    for count in (0, 9):
        with pytest.raises(ValueError, match="keyed uniforms"):
            uniforms(count, 1, "k")


def test_weighted_draws_are_what_random_choices_would_draw_from_the_same_stream() -> None:
    for weights in (_JOB_TITLE_WEIGHTS, _SOURCE_WEIGHTS):
        ours, theirs = random.Random("twin"), random.Random("twin")
        drawn = [weights.draw(ours) for _ in range(3000)]
        assert drawn == [theirs.choices(weights.options, cum_weights=weights.cumulative)[0] for _ in range(3000)]
    options, cumulative = ("a", "b", "c"), (5.0, 5.0, 9.0)  # "b" has no weight: "a" below 5/9, "c" above
    assert [_weighted_pick(options, cumulative, draw) for draw in (0.0, 0.55, 0.56, 0.99)] == ["a", "a", "c", "c"]


def test_timestamps_are_rendered_as_datetime_would_render_them() -> None:
    rng = random.Random(7)
    moments = [0, 999, 1000, 86_399_999, 86_400_000]
    moments += [rng.randrange(1_700_000_000_000, 1_900_000_000_000) for _ in range(500)]
    for ms in moments:
        expected = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        assert iso_ms(ms) == expected


def test_companies_keep_their_size_distribution_and_contacts_their_company() -> None:
    story = Story(seed=5, scale=4000)
    companies = [story.company(index) for index in range(1000)]
    sizes = [company.employees[0][1] for company in companies]
    assert 95 < statistics.median(sizes) < 150  # lognormal around 120 employees
    assert 0.25 < sum(len(company.employees) > 1 for company in companies) / len(companies) < 0.35
    assert Counter(company.tier for company in companies).keys() == set(COMPANY_TIERS)
    assert {int(company.id) - COMPANY_ID_BASE - COMPANY_ID_STEP * company.index for company in companies} == {0, 1}
    for index in range(0, 4000, 7):
        profile = story.profile(index)
        company = story.company(profile.company_index)
        assert profile.company == company.name and profile.email.endswith("@" + company.domain)


def test_merges_pair_two_slots_of_a_quarter_of_the_blocks() -> None:
    story = Story(seed=4, scale=64_000)
    pairs = [story._merge_pair(block * MERGE_BLOCK) for block in range(4000)]
    merged = [pair for pair in pairs if pair is not None]
    assert abs(len(merged) / len(pairs) - MERGE_PROBABILITY) < 0.03
    for survivor, away, merge_ms in merged:
        assert survivor // MERGE_BLOCK == away // MERGE_BLOCK and survivor < away
        assert merge_ms > story.created_ms(away)
    assert len({(survivor % MERGE_BLOCK, away % MERGE_BLOCK) for survivor, away, _ in merged}) > 100  # of 120
    assert all(story._merge_pair(block * MERGE_BLOCK + 5) == pair for block, pair in enumerate(pairs[:50]))


def test_an_archived_contact_remembers_nothing_after_its_end() -> None:
    story = Story(seed=8, scale=1500)
    archived = [p for p in (story.profile(index) for index in range(1500)) if p.archived_ms is not None]
    assert len(archived) > 20
    for profile in archived:
        assert all(ms <= profile.archived_ms for _, ms in profile.stage_entries)
