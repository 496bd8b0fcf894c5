"""Marketing touch points: the form submissions that carry UTM parameters into HubSpot contacts.

A visitor who follows a tagged link (an ad, a newsletter, a social post) and fills in a form has the link's UTM
parameters copied by the form's hidden fields into the custom contact properties ``utm_source``,
``utm_medium``, ``utm_campaign`` and ``utm_content``: all four on every such submission (sourceType ``FORM``,
sourceId the form's id). The properties hold the latest touch; their property history (which HubSpot keeps
for any property and serves through ``propertiesWithHistory``) holds every touch. That is the design many
HubSpot portals use for multi-touch attribution, and the one the extractor reads.

Our UTM convention (what the ad platforms' tracking templates fill in), so the warehouse can join a touch to
the ad platform's spend:

| kind | utm_source | utm_medium | utm_campaign | utm_content |
| --- | --- | --- | --- | --- |
| paid search (Google Ads) | google | cpc | the campaign id | the ad group id |
| paid social (Meta) | facebook | paid_social | the campaign id | the ad set id |
| paid social (LinkedIn) | linkedin | paid_social | the LinkedIn *campaign* id (spend is by it) | its group id |
| email | hubspot | email | ``newsletter-YYYY-MM`` or ``nurture-onboarding`` | the link clicked |
| organic social | linkedin / twitter | social | ``always-on-social`` | ``company-page`` |
| partner listing | capterra / g2 | partner_listing | ``software-directories`` | ``listing`` |

Who gets which touches is drawn from the contact's random stream *after* every other draw of its profile, so the
rest of the story is exactly what it was without touches: the funnel, channels and spend truths do not move.

- **The sign-up touch**, at creation, for contacts whose original source is tagged: PAID_SEARCH and PAID_SOCIAL
  (the campaign ``sandbox.ads.story.campaign_for_contact`` picks for the contact), EMAIL_MARKETING, SOCIAL_MEDIA
  and OTHER_CAMPAIGNS (a partner listing). Organic search, referrals, direct traffic and offline imports come
  without UTM parameters, so they leave no touch.
- **Later touches**: 0 to 3 more tagged form submissions (content downloads, webinars, demo requests) at
  independent times after creation (exponential, mean ``LATER_TOUCH_MEAN_DAYS``), of the kinds in
  ``LATER_TOUCH_KINDS``. They happen whatever the funnel does; archiving or a merge cuts them like any change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeVar

from sandbox.ads.story import campaign_for_contact, utm_for
from sandbox.story import iso_ms

UTM_PROPERTIES = ("utm_campaign", "utm_content", "utm_medium", "utm_source")
# HubSpot form ids (the history's sourceId for sourceType FORM).
FORMS = {
    "signup": "5b1f0c3e-1d2a-4c55-9a3e-0f6b8f2d1a01",
    "content_download": "5b1f0c3e-1d2a-4c55-9a3e-0f6b8f2d1a02",
    "webinar_registration": "5b1f0c3e-1d2a-4c55-9a3e-0f6b8f2d1a03",
    "demo_request": "5b1f0c3e-1d2a-4c55-9a3e-0f6b8f2d1a04",
}
LATER_FORMS = ("content_download", "webinar_registration", "demo_request")
# Original source -> the kind of tagged link the sign-up came through (untagged sources are missing).
SIGNUP_KIND = {
    "PAID_SEARCH": "paid_search",
    "PAID_SOCIAL": "paid_social",
    "EMAIL_MARKETING": "email",
    "SOCIAL_MEDIA": "organic_social",
    "OTHER_CAMPAIGNS": "partner",
}
LATER_TOUCH_COUNTS = ((0, 0.35), (1, 0.30), (2, 0.20), (3, 0.15))
LATER_TOUCH_KINDS = (("email", 0.40), ("paid_search", 0.25), ("paid_social", 0.20), ("organic_social", 0.15))
LATER_TOUCH_MEAN_DAYS = 12.0
_PAID_SOURCE = {"paid_search": "PAID_SEARCH", "paid_social": "PAID_SOCIAL"}
_DAY_MS = 86_400_000
Option = TypeVar("Option")


@dataclass(frozen=True)
class FormTouch:
    """One tagged form submission: when, through which form, and the UTM values it wrote."""

    ms: int
    form: str  # a key of FORMS
    kind: str  # paid_search | paid_social | email | organic_social | partner
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    platform: str | None = None  # the ad platform (sandbox.ads.story names) for paid touches

    @property
    def utm(self) -> dict[str, str]:
        return {
            "utm_campaign": self.utm_campaign,
            "utm_content": self.utm_content,
            "utm_medium": self.utm_medium,
            "utm_source": self.utm_source,
        }


def form_touches(seed: int, index: int, source: str, created_ms: int, rng: random.Random) -> tuple[FormTouch, ...]:
    """Contact ``index``'s tagged form submissions, oldest first (the sign-up touch, if any, at creation).

    ``rng`` is the contact's own stream after every other draw of its profile (``Story._base_profile``).
    """
    touches = []
    kind = SIGNUP_KIND.get(source)
    if kind is not None:
        touches.append(_touch(seed, index, 0, rng, created_ms, "signup", kind))
    count = _pick(rng, LATER_TOUCH_COUNTS)
    delays = sorted(max(60_000, int(rng.expovariate(1 / LATER_TOUCH_MEAN_DAYS) * _DAY_MS)) for _ in range(count))
    for number, delay in enumerate(delays, start=1):
        later_kind = _pick(rng, LATER_TOUCH_KINDS)
        touches.append(_touch(seed, index, number, rng, created_ms + delay, rng.choice(LATER_FORMS), later_kind))
    return tuple(touches)


def _touch(seed: int, index: int, number: int, rng: random.Random, ms: int, form: str, kind: str) -> FormTouch:
    if kind in _PAID_SOURCE:
        # The sign-up's campaign is the one campaign_for_contact documents for the contact; later visits draw
        # theirs by the same rule (a campaign running that day, weighted by budget) from the contact's stream.
        picked = campaign_for_contact(seed, _PAID_SOURCE[kind], ms, index, rng=None if number == 0 else rng)
        assert picked is not None
        campaign, group = picked
        utm = utm_for(campaign, group)
        return FormTouch(ms, form, kind, platform=campaign.platform, **utm)
    if kind == "email":
        month = iso_ms(ms)[:7]  # YYYY-MM, in UTC
        campaign_name = f"newsletter-{month}" if rng.random() < 0.7 else "nurture-onboarding"
        content = rng.choice(("hero-cta", "article-link", "footer-link"))
        return FormTouch(ms, form, kind, "hubspot", "email", campaign_name, content)
    if kind == "organic_social":
        source = rng.choice(("linkedin", "twitter"))
        return FormTouch(ms, form, kind, source, "social", "always-on-social", "company-page")
    source = rng.choice(("capterra", "g2"))
    return FormTouch(ms, form, kind, source, "partner_listing", "software-directories", "listing")


def touch_changes(touches: tuple[FormTouch, ...]) -> list[tuple[int, str, str | None, str, str | None, int | None]]:
    """The property writes of ``touches`` as story changes: every UTM property on every submission."""
    return [
        (touch.ms, name, value, "FORM", FORMS[touch.form], None)
        for touch in touches
        for name, value in touch.utm.items()
    ]


def _pick(rng: random.Random, shares: tuple[tuple[Option, float], ...]) -> Option:
    """The option whose cumulative share first exceeds one uniform draw (the last one for the remainder)."""
    draw = rng.random()
    for option, share in shares:
        if draw < share:
            return option
        draw -= share
    return shares[-1][0]
