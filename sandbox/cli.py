"""Command line: ``python -m sandbox serve ...`` and ``python -m sandbox truth ...``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from sandbox import ads
from sandbox.ads.truth import truth_document as ads_truth_document
from sandbox.attribution_truth import truth_document as attribution_truth_document
from sandbox.hubspot import SEARCH_PER_SECOND, HubSpotApi
from sandbox.ratelimit import RollingWindow
from sandbox.server import DEFAULT_SLOW_SECONDS, HTTP_FAULTS, HealthService, HttpFaults, SandboxServer, TokenLifetime
from sandbox.story import DEFAULT_NOW, FAULTS, Story, parse_instant, to_ms
from sandbox.truth import truth_document


def _rate_option(known: Sequence[str], kind: str) -> Callable[[str], tuple[str, float]]:
    """An argparse type for `NAME=RATE` options: NAME one of `known`, RATE between 0 and 1."""

    def parse(text: str) -> tuple[str, float]:
        name, separator, raw_rate = text.partition("=")
        if name not in known:
            raise argparse.ArgumentTypeError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
        try:
            rate = float(raw_rate) if separator else float("nan")
        except ValueError:
            rate = float("nan")
        if not 0.0 <= rate <= 1.0:
            raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=RATE with RATE between 0 and 1")
        return name, rate

    return parse


_fault = _rate_option((*FAULTS, *ads.AD_FAULTS), "fault")
_http_fault = _rate_option(HTTP_FAULTS, "HTTP fault")


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be a number of seconds, not negative")
    return value


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _story_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="story seed (default 0)")
    parser.add_argument(
        "--scale", type=_non_negative, default=500, help="contacts created up to the default now (default 500)"
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="NAME=RATE",
        help=f"plant a fault in a share of contacts ({', '.join(FAULTS)}) "
        f"or of ad platform daily rows ({', '.join(ads.AD_FAULTS)})",
    )


def _contact_faults(args: argparse.Namespace) -> dict[str, float]:
    """The contact faults among --fault (the story's); ``sandbox.ads.ad_faults`` takes the others."""
    return {name: rate for name, rate in args.fault if name in FAULTS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the emulated APIs on 127.0.0.1")
    serve.add_argument("--port", type=_non_negative, default=0, help="TCP port; 0 picks a free one")
    serve.add_argument("--token", default=os.environ.get("SANDBOX_TOKEN"), help="bearer token (or $SANDBOX_TOKEN)")
    serve.add_argument("--now", type=_instant, default=DEFAULT_NOW, help="the story's present (ISO 8601)")
    serve.add_argument("--rate-limit", type=_positive, default=None, metavar="N_PER_10S", help="default: unlimited")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    serve.add_argument(
        "--http-fault",
        type=_http_fault,
        action="append",
        default=[],
        metavar="NAME=RATE",
        help=f"inject an HTTP fault into a share of API requests (seeded); NAME is one of {', '.join(HTTP_FAULTS)}",
    )
    serve.add_argument(
        "--slow-seconds", type=_seconds, default=DEFAULT_SLOW_SECONDS, help="how long a 'slow' answer waits"
    )
    serve.add_argument(
        "--token-expires-after", type=_non_negative, default=None, metavar="N", help="reject the token after N uses"
    )
    _story_arguments(serve)
    ads.add_serve_arguments(serve)

    truth = commands.add_parser("truth", help="print the story's ground truth as JSON")
    truth.add_argument("--as-of", type=_instant, default=DEFAULT_NOW, help="instant the truth is taken at")
    _story_arguments(truth)
    return parser


def serve(args: argparse.Namespace) -> int:
    story = Story(args.seed, args.scale, _contact_faults(args))
    # With rate limits on, search also gets HubSpot's SECONDLY policy (5 requests per second).
    search_window = RollingWindow(SEARCH_PER_SECOND if args.rate_limit else None, 1.0)
    # One token for every emulated API, so one lifetime too (services check it after the credential matches).
    args.token_lifetime = TokenLifetime(args.token_expires_after)
    hubspot = HubSpotApi(
        story, to_ms(args.now), args.token, RollingWindow(args.rate_limit), search_window, args.token_lifetime
    )
    http_faults = HttpFaults(dict(args.http_fault), args.seed, args.slow_seconds)
    services = [HealthService(), hubspot, *ads.services(args)]
    server = SandboxServer(args.port, services, verbose=args.verbose, http_faults=http_faults)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="sandbox-http", daemon=True)
    thread.start()
    print(f"sandbox listening on http://127.0.0.1:{server.port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        if not args.token:
            parser.error("serve needs --token or $SANDBOX_TOKEN")
        return serve(args)
    # Ad faults change what the platforms serve, never what happened: the ads truth takes none.
    faults = _contact_faults(args)
    document = truth_document(args.seed, args.scale, args.as_of, faults)
    document.update(ads_truth_document(args.seed, args.as_of))
    document.update(attribution_truth_document(args.seed, args.scale, args.as_of, faults))
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
