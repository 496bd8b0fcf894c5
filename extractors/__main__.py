"""`python -m extractors run SOURCE [--stream NAME ...]`: load a source outside Airflow."""

from __future__ import annotations

import argparse
import logging
import sys

import psycopg

from extractors.core.http import ExtractError
from extractors.core.streams import Stream
from extractors.runner import run_source
from warehouse.config import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractors", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load one source's streams into raw tables")
    run.add_argument("source", help="source name, e.g. hubspot")
    run.add_argument("--stream", action="append", dest="streams", help="only this stream (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    def progress(stream: Stream, pages: int, records: int) -> None:
        print(f"\r{stream.table}: {pages} pages, {records} records", end="", file=sys.stderr, flush=True)

    try:
        reports = run_source(args.source, args.streams, on_page=progress)
    except (ConfigError, ExtractError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:  # its message names host, port and database, never the password
        print(f"\nerror: cannot reach the warehouse; check WAREHOUSE_URL ({exc})", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print(f"{'table':<30} {'records':>9} {'pages':>6} {'retries':>8} {'seconds':>8}")
    for report in reports:
        print(f"{report.table:<30} {report.records:>9} {report.pages:>6} {report.retries:>8} {report.seconds:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
