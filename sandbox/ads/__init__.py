"""The ad platforms: Google Ads, Meta and LinkedIn, emulated over the seeded ad story.

``sandbox.cli`` calls ``add_serve_arguments`` on the ``serve`` parser and mounts ``services(args)``; the
``truth`` command adds ``sandbox.ads.truth.truth_document``; ``--fault`` also takes the ``AD_FAULTS``.
Modules: ``story`` (the ad world, UTM mapping, planted ad faults), ``truth`` (spend by week and channel, FX
rates), ``google``, ``meta``, ``linkedin`` (the APIs).
"""

from __future__ import annotations

import argparse
import re

from sandbox.ads.google import DEFAULT_BATCH_SIZE, QUOTA_WINDOW_S, GoogleAdsApi, not_found
from sandbox.ads.linkedin import DEFAULT_MAX_ELEMENTS, LinkedInApi
from sandbox.ads.meta import BUDGET_WINDOW_S, MetaApi
from sandbox.ads.story import AD_FAULTS, AdStory
from sandbox.ratelimit import RollingWindow
from sandbox.server import Request, Response, Service

_GRAPH = re.compile(r"^/(v\d+\.\d+)/(.*)$")
_GOOGLE = re.compile(r"^/(v\d+)/(.*)$")


class VersionedRouter:
    """Everything under ``/v``: ``/vNN.N/...`` is Meta's Graph API, ``/vNN/...`` Google Ads."""

    prefix = "/v"

    def __init__(self, google: GoogleAdsApi, meta: MetaApi) -> None:
        self.google = google
        self.meta = meta

    def handle(self, request: Request) -> Response:
        graph = _GRAPH.match(request.path)
        if graph is not None:
            return self.meta.handle(request, graph.group(1), graph.group(2))
        match = _GOOGLE.match(request.path)
        if match is not None:
            return self.google.handle(request, match.group(1), match.group(2))
        return not_found(request.path)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ad platforms (Google Ads, Meta, LinkedIn)")
    group.add_argument(
        "--google-ads-quota",
        type=_positive,
        default=None,
        metavar="N_PER_60S",
        help="Google Ads requests per 60 s before 429 RESOURCE_EXHAUSTED (default: unlimited)",
    )
    group.add_argument(
        "--google-ads-batch-size",
        type=_positive,
        default=DEFAULT_BATCH_SIZE,
        metavar="ROWS",
        help=f"rows per searchStream batch (default {DEFAULT_BATCH_SIZE})",
    )
    group.add_argument(
        "--meta-call-budget",
        type=_positive,
        default=None,
        metavar="N_PER_HOUR",
        help="Meta calls per rolling hour before error code 17 (default: unlimited)",
    )
    group.add_argument(
        "--linkedin-max-elements",
        type=_positive,
        default=DEFAULT_MAX_ELEMENTS,
        metavar="N",
        help=f"adAnalytics answers are silently cut at N elements (default {DEFAULT_MAX_ELEMENTS})",
    )


def ad_faults(faults: list[tuple[str, float]]) -> dict[str, float]:
    """The ad platform faults among ``--fault NAME=RATE`` values (the rest are contact faults)."""
    return {name: rate for name, rate in faults if name in AD_FAULTS}


def services(args: argparse.Namespace) -> list[Service]:
    """The ad services for a ``serve`` invocation (uses --seed, --now, --token, the ad faults among --fault and
    the options above)."""
    story = AdStory(args.seed, args.now, ad_faults(args.fault))
    google = GoogleAdsApi(
        story, args.token, RollingWindow(args.google_ads_quota, QUOTA_WINDOW_S), args.google_ads_batch_size
    )
    meta = MetaApi(story, args.token, RollingWindow(args.meta_call_budget, BUDGET_WINDOW_S))
    return [VersionedRouter(google, meta), LinkedInApi(story, args.token, args.linkedin_max_elements)]
