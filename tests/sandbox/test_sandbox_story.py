"""The story is lazy, deterministic per contact, and consistent in time."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.cli import main
from sandbox.launcher import running_sandbox
from sandbox.story import DAY_MS, DEFAULT_NOW_MS, EPOCH_MS, Stage, Story
from tests.sandbox.hubspot_client import Client


def test_a_million_contact_story_computes_any_contact_without_building_the_others() -> None:
    story = Story(seed=1, scale=1_000_000)
    started = time.perf_counter()
    assert story.count_at(DEFAULT_NOW_MS) == 1_000_000
    last = story.view(999_999, DEFAULT_NOW_MS)
    assert time.perf_counter() - started < 0.5
    assert last.created_ms <= DEFAULT_NOW_MS


def test_a_contact_depends_only_on_the_seed_and_its_index() -> None:
    first, second = Story(seed=4, scale=500), Story(seed=4, scale=500)
    second.profile(10)  # reading other contacts first changes nothing
    assert [first.profile(index) for index in (42, 7, 499)] == [second.profile(index) for index in (42, 7, 499)]
    assert Story(seed=5, scale=500).profile(42) != first.profile(42)


def test_existing_contacts_are_exactly_those_created_by_now() -> None:
    story = Story(seed=2, scale=300)
    created = [story.created_ms(index) for index in range(400)]
    assert created == sorted(created)
    for now_ms in (EPOCH_MS - 1, EPOCH_MS + 3 * DAY_MS + 12345, DEFAULT_NOW_MS, DEFAULT_NOW_MS + 10 * DAY_MS):
        assert story.count_at(now_ms) == sum(1 for ms in created if ms <= now_ms)


def test_nothing_about_a_contact_happens_after_now() -> None:
    story = Story(seed=9, scale=400)
    now_ms = EPOCH_MS + 40 * DAY_MS
    for index in range(story.count_at(now_ms)):
        view = story.view(index, now_ms)
        assert view.created_ms <= view.updated_ms <= now_ms
        assert all(entered <= now_ms for _, entered in view.stage_entries)


def test_raising_a_fault_rate_only_adds_faulty_contacts() -> None:
    low = Story(seed=3, scale=400, faults={"missing_email": 0.1})
    high = Story(seed=3, scale=400, faults={"missing_email": 0.3})
    low_set = {index for index in range(400) if low.faults_of(index)[0]}
    high_set = {index for index in range(400) if high.faults_of(index)[0]}
    assert low_set < high_set


@pytest.mark.parametrize("fault", ["no_such_fault=0.1", "missing_email=1.5", "missing_email"])
def test_the_command_line_rejects_unknown_faults_and_bad_rates(fault: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--token", "t", "--fault", fault])
    assert exit_info.value.code == 2


def test_the_token_can_come_from_the_environment() -> None:
    with running_sandbox(["--scale", "20"], env={"SANDBOX_TOKEN": "from-env"}) as sandbox:
        client = Client(sandbox.url, requests.Session())
        assert client.get("/crm/v3/objects/contacts", token="from-env").status_code == 200
        assert client.get("/crm/v3/objects/contacts", token="test-token").status_code == 401


def test_sigterm_stops_the_server_cleanly() -> None:
    with running_sandbox(["--token", "t", "--scale", "10"]) as sandbox:
        sandbox.process.terminate()
        assert sandbox.process.wait(timeout=5) == 0


def test_merges_agree_from_both_sides_and_end_the_merged_contact() -> None:
    story = Story(seed=6, scale=800)
    profiles = [story.profile(index) for index in range(800)]
    by_id = {profile.id: profile for profile in profiles}
    survivors = [p for p in profiles if any(change[1] == "hs_merged_object_ids" for change in p.changes)]
    assert len(survivors) >= 3
    for survivor in survivors:
        ((merged_at, _, merged_id, *_),) = [c for c in survivor.changes if c[1] == "hs_merged_object_ids"]
        merged = by_id[merged_id]
        assert merged.merged_into == survivor.id and merged.archived_ms == merged_at
        assert merged.index > survivor.index
        assert all(change[0] <= merged_at for change in merged.changes)
    assert sum(1 for p in profiles if p.merged_into) == len(survivors)


def test_companies_exist_before_their_contacts_and_events_follow_the_contact() -> None:
    story = Story(seed=9, scale=600)
    for index in range(600):
        profile = story.profile(index)
        assert story.company(profile.company_index).created_ms < profile.created_ms
        end = profile.archived_ms if profile.archived_ms is not None else float("inf")
        assert all(profile.created_ms <= touch.ms <= end for touch in profile.touches)
        if profile.deal is not None:
            stages = [ms for _, ms in profile.deal.stages]
            assert stages == sorted(stages) and profile.created_ms < stages[0] and stages[-1] <= end
            assert (Stage.OPPORTUNITY, stages[0]) in profile.stage_entries


def test_a_view_never_shows_touches_or_deal_stages_after_now() -> None:
    story = Story(seed=9, scale=600)
    now_ms = EPOCH_MS + 30 * DAY_MS
    for index in range(story.count_at(now_ms)):
        view = story.view(index, now_ms)
        assert all(touch.ms <= now_ms for touch in view.touches)
        if view.deal is not None:
            assert view.deal.updated_ms <= now_ms
