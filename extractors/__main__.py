"""`python -m extractors run SOURCE [--stream NAME ...] [--full-refresh] [--since ISO]`: load a source outside Airflow.

Progress goes to stderr (one line per stream, updated per page); the final table to stdout.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys

import psycopg

from extractors.core.http import ExtractError
from extractors.core.pagination import parse_instant
from extractors.core.streams import Stream
from extractors.runner import RunOptions, StreamReport, run_source
from warehouse.config import ConfigError


def _instant(text: str) -> datetime.datetime:
    instant = parse_instant(text)
    if instant is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant such as 2026-03-01T00:00:00Z")
    return instant


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m extractors", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load one source's streams into raw tables")
    run.add_argument("source", help="source name, e.g. hubspot")
    run.add_argument("--stream", action="append", dest="streams", help="only this stream (repeatable)")
    run.add_argument("--full-refresh", action="store_true", help="re-read everything, ignoring stored cursors")
    run.add_argument("--since", type=_instant, help="read what changed since this ISO instant (overrides the cursor)")
    return parser


def _progress(stream: Stream, pages: int, records: int) -> None:
    print(f"\rraw.{stream.table}: {pages} pages, {records} records", end="", file=sys.stderr, flush=True)


def _stream_done(report: StreamReport) -> None:
    notes = [report.mode]
    if report.rejected:
        notes.append(f"{report.rejected} rejected (see raw._rejects)")
    if report.new_properties:
        notes.append(f"new properties: {', '.join(report.new_properties)}")
    print(
        f"\r{report.table}: {report.pages} pages, {report.records} records, {report.seconds}s ({'; '.join(notes)})",
        file=sys.stderr,
        flush=True,
    )


def print_table(reports: list[StreamReport]) -> None:
    print(f"{'table':<40} {'records':>9} {'pages':>6} {'retries':>8} {'seconds':>8}")
    for report in reports:
        print(f"{report.table:<40} {report.records:>9} {report.pages:>6} {report.retries:>8} {report.seconds:>8}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    options = RunOptions(full_refresh=args.full_refresh, since=args.since)
    try:
        reports = run_source(args.source, args.streams, on_page=_progress, options=options, on_stream_done=_stream_done)
    except (ConfigError, ExtractError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:  # its message names host, port and database, never the password
        print(f"\nerror: cannot reach the warehouse; check WAREHOUSE_URL ({exc})", file=sys.stderr)
        return 2
    print_table(reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
