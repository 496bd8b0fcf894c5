"""Command line: ``python -m sandbox serve ...`` and ``python -m sandbox truth ...``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime

from sandbox.hubspot import SEARCH_PER_SECOND, HubSpotApi
from sandbox.ratelimit import RollingWindow
from sandbox.server import HealthService, SandboxServer
from sandbox.story import DEFAULT_NOW, FAULTS, Story, parse_instant, to_ms
from sandbox.truth import truth_document


def _fault(text: str) -> tuple[str, float]:
    name, separator, raw_rate = text.partition("=")
    if name not in FAULTS:
        raise argparse.ArgumentTypeError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    try:
        rate = float(raw_rate) if separator else float("nan")
    except ValueError:
        rate = float("nan")
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=RATE with RATE between 0 and 1")
    return name, rate


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
        help=f"plant a fault in a share of contacts; NAME is one of {', '.join(FAULTS)}",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the emulated APIs on 127.0.0.1")
    serve.add_argument("--port", type=_non_negative, default=0, help="TCP port; 0 picks a free one")
    serve.add_argument("--token", default=os.environ.get("SANDBOX_TOKEN"), help="bearer token (or $SANDBOX_TOKEN)")
    serve.add_argument("--now", type=_instant, default=DEFAULT_NOW, help="the story's present (ISO 8601)")
    serve.add_argument("--rate-limit", type=_positive, default=None, metavar="N_PER_10S", help="default: unlimited")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    _story_arguments(serve)

    truth = commands.add_parser("truth", help="print the story's ground truth as JSON")
    truth.add_argument("--as-of", type=_instant, default=DEFAULT_NOW, help="instant the truth is taken at")
    _story_arguments(truth)
    return parser


def serve(args: argparse.Namespace) -> int:
    story = Story(args.seed, args.scale, dict(args.fault))
    # With rate limits on, search also gets HubSpot's SECONDLY policy (5 requests per second).
    search_window = RollingWindow(SEARCH_PER_SECOND if args.rate_limit else None, 1.0)
    hubspot = HubSpotApi(story, to_ms(args.now), args.token, RollingWindow(args.rate_limit), search_window)
    server = SandboxServer(args.port, [HealthService(), hubspot], verbose=args.verbose)
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
    document = truth_document(args.seed, args.scale, args.as_of, dict(args.fault))
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
