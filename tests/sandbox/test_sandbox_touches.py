"""Marketing touch points: tagged form submissions write the UTM fields, their history is served like any
property's, and it agrees with the attribution truth; the truth's attribution weights add up to exactly 1."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sandbox.ads.story import campaign_for_contact
from sandbox.ads.truth import delivery_rows
from sandbox.attribution_truth import (
    ATTRIBUTION_MODELS,
    attribution_weights,
    people_touch_points_and_conversions,
    revenue_shares,
    utm_channel,
)
from sandbox.story import DEFAULT_NOW, DEFAULT_NOW_MS, Story, parse_instant, to_ms
from sandbox.touches import FORMS, SIGNUP_KIND, UTM_PROPERTIES
from tests.sandbox.hubspot_client import SCALE, SEED, Client


@pytest.fixture(scope="module")
def records(hubspot: Client) -> list[dict]:
    utm = ",".join(UTM_PROPERTIES)
    return hubspot.walk(limit=50, properties=f"{utm},createdate", propertiesWithHistory=utm)


def served_touches(records: list[dict]) -> dict[str, list[tuple[int, str, str]]]:
    """contact id -> (epoch ms, channel, campaign) of every UTM write, from the served history, oldest first."""
    touches: dict[str, list[tuple[int, str, str]]] = {}
    for record in records:
        history = record["propertiesWithHistory"]
        medium = {entry["timestamp"]: entry["value"] for entry in history["utm_medium"]}
        campaign = {entry["timestamp"]: entry["value"] for entry in history["utm_campaign"]}
        touches[record["id"]] = sorted(
            (to_ms(parse_instant(at)), utm_channel(medium[at]), campaign[at]) for at in campaign
        )
    return touches


def test_every_tagged_form_submission_writes_all_four_utm_fields(records: list[dict]) -> None:
    touched = 0
    for record in records:
        history = record["propertiesWithHistory"]
        assert set(history) == set(UTM_PROPERTIES)
        moments = [[entry["timestamp"] for entry in history[name]] for name in UTM_PROPERTIES]
        assert all(timestamps == moments[0] for timestamps in moments)  # one submission writes them together
        for name in UTM_PROPERTIES:
            entries = history[name]
            assert all(entry["sourceType"] == "FORM" and entry["sourceId"] in FORMS.values() for entry in entries)
            assert record["properties"][name] == (entries[0]["value"] if entries else None)  # newest first
        touched += bool(moments[0])
    assert touched > len(records) / 2  # most people leave tagged submissions behind


def test_the_served_history_gives_the_truths_touch_points_contact_by_contact(records: list[dict]) -> None:
    truth: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for touches, _ in people_touch_points_and_conversions(SEED, SCALE, DEFAULT_NOW):
        for touch in touches:
            truth[touch.contact_id].append((touch.ms, touch.channel, touch.campaign_id))
    served = {contact: touches for contact, touches in served_touches(records).items() if touches}
    assert served == dict(truth)
    channels = {channel for touches in served.values() for _, channel, _ in touches}
    assert {"paid_search", "paid_social", "email", "organic_social", "other"} <= channels


def test_tagged_sources_sign_up_with_a_touch_and_paid_ones_carry_their_campaign() -> None:
    story = Story(SEED, SCALE)
    checked = 0
    for index in range(story.count_at(DEFAULT_NOW_MS)):
        profile = story.profile(index)
        sign_ups = [touch for touch in profile.form_touches if touch.form == "signup"]
        assert [touch.kind for touch in sign_ups] == (
            [SIGNUP_KIND[profile.source]] if profile.source in SIGNUP_KIND else []
        )
        if profile.source not in ("PAID_SEARCH", "PAID_SOCIAL"):
            continue
        sign_up = profile.form_touches[0]
        picked = campaign_for_contact(SEED, profile.source, profile.created_ms, index)
        assert picked is not None
        campaign, group = picked
        assert (sign_up.form, sign_up.ms, sign_up.platform) == ("signup", profile.created_ms, campaign.platform)
        assert sign_up.utm_campaign in (campaign.id, group.id)  # LinkedIn: the LinkedIn campaign (story ad group)
        checked += 1
    assert checked > 50


def test_every_paid_touch_names_a_campaign_the_ad_platforms_report_spend_for() -> None:
    reported = {row.campaign_id for row in delivery_rows(SEED)}
    story = Story(SEED, SCALE)
    paid = [
        touch
        for index in range(story.count_at(DEFAULT_NOW_MS))
        for touch in story.profile(index).form_touches
        if touch.platform is not None and touch.ms < to_ms(DEFAULT_NOW)
    ]
    assert len(paid) > 100
    assert {touch.utm_campaign for touch in paid} <= reported


@pytest.mark.parametrize("model", list(ATTRIBUTION_MODELS))
def test_weights_of_every_path_sum_to_exactly_one(model: str) -> None:
    for length in range(1, 9):
        for milestone in range(length):
            weights = attribution_weights(length, milestone, model)
            assert len(weights) == length
            assert sum(weights) == 1
            assert all(weight >= 0 and weight == weight.quantize(Decimal("0.000001")) for weight in weights)


@pytest.mark.parametrize(
    ("length", "milestone", "model", "expected"),
    [
        (1, 0, "w_shaped", ["1"]),
        (2, 1, "u_shaped", ["0.5", "0.5"]),
        (2, 1, "w_shaped", ["0.35", "0.65"]),
        (3, 0, "linear", ["0.333333", "0.333333", "0.333334"]),
        (4, 1, "u_shaped", ["0.4", "0.1", "0.1", "0.4"]),
        (4, 1, "w_shaped", ["0.3", "0.3", "0.1", "0.3"]),
        (3, 0, "w_shaped", ["0.6", "0.1", "0.3"]),
    ],
)
def test_weights_follow_the_agreed_shares(length: int, milestone: int, model: str, expected: list[str]) -> None:
    assert attribution_weights(length, milestone, model) == [Decimal(weight) for weight in expected]


def test_revenue_is_split_to_the_cent_with_the_remainder_on_the_last_touch() -> None:
    shares = revenue_shares(Decimal("100.00"), attribution_weights(3, 0, "linear"))
    assert shares == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(revenue_shares(Decimal("1234.57"), attribution_weights(7, 3, "w_shaped"))) == Decimal("1234.57")
