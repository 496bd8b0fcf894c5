"""Command line: `python -m expectations validate [--contract NAME ...] [--schema-prefix PREFIX] [--run-id ID]`.

Exit status: 0 when no blocking contract is broken (warn contracts may fail), 1 when one is, 2 on a usage,
configuration, contract-file or connection error. `python -m expectations check` only checks that the
contract files are valid Great Expectations suites (no database needed). `python -m expectations docs [--open]`
rebuilds the data docs site (expectations/uncommitted/data_docs/) from the audit tables; `validate` rebuilds it too.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m expectations", description="Check the data contracts.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("validate", help="validate contracts against WAREHOUSE_URL and record the results")
    run.add_argument("--contract", action="append", metavar="NAME", help="only this contract (repeatable)")
    run.add_argument(
        "--schema-prefix",
        default="",
        type=_schema_prefix,
        metavar="PREFIX",
        help="validate the build schemas, e.g. build_ reads marts from build_marts (default: published schemas)",
    )
    run.add_argument("--run-id", help="identifier recorded with the results (default: manual-<UTC time>)")
    run.add_argument("--contracts-dir", type=Path, help="read the contract files from here (default: contracts/)")
    check = commands.add_parser("check", help="check that the contract files are valid GX suites")
    check.add_argument("--contract", action="append", metavar="NAME", help="only this contract (repeatable)")
    docs = commands.add_parser("docs", help="rebuild the data docs HTML site from the audit tables")
    docs.add_argument("--open", action="store_true", help="open the site in a browser")
    return parser


def _schema_prefix(value: str) -> str:
    from expectations.runner import check_schema_prefix

    try:
        return check_schema_prefix(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return _check(args.contract)
    if args.command == "docs":
        return _docs(args.open)
    return _validate(args.contract, args.schema_prefix, args.run_id, args.contracts_dir)


def _check(names: list[str] | None) -> int:
    from expectations.runner import ContractFileError, build_suite, load_contracts

    try:
        contracts = load_contracts(names)
        for contract in contracts:
            build_suite(contract)
    except ContractFileError as error:
        return _fail(str(error))
    print(f"{len(contracts)} contract file(s) valid: {', '.join(contract.name for contract in contracts)}")
    return EXIT_OK


def _validate(names: list[str] | None, schema_prefix: str, run_id: str | None, contracts_dir: Path | None) -> int:
    import psycopg
    import sqlalchemy

    from expectations.runner import (
        ContractBroken,
        ContractFileError,
        format_results,
        load_contracts,
        raise_for_blocking,
        record_results,
        validate,
    )
    from warehouse.config import ConfigError, warehouse

    try:
        settings = warehouse()
        load_contracts(names, contracts_dir=contracts_dir)  # fail fast on an unknown name, before the slow GX import
        run_id = run_id or f"manual-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        results = validate(
            settings.sqlalchemy_url(),
            schema_prefix=schema_prefix,
            names=names,
            run_id=run_id,
            contracts_dir=contracts_dir,
        )
        print(format_results(results))
        recorded = record_results(settings.url, run_id, results)
    except (ConfigError, ContractFileError) as error:
        return _fail(str(error))
    except (sqlalchemy.exc.OperationalError, psycopg.OperationalError) as error:
        origin = getattr(error, "orig", None) or error
        return _fail(
            f"cannot use the warehouse at {settings.host}:{settings.port}/{settings.database}: {str(origin).strip()}"
        )
    print(f"run {run_id}: {recorded} row(s) recorded in audit.contract_results")
    from expectations.docs import build_data_docs

    print(f"data docs: {build_data_docs(settings.url)}")
    try:
        raise_for_blocking(results)
    except ContractBroken as broken:
        print(broken, file=sys.stderr)
        return EXIT_BLOCKED
    return EXIT_OK


def _docs(open_browser: bool) -> int:
    import psycopg

    from expectations.docs import build_data_docs
    from warehouse.config import ConfigError, warehouse

    try:
        index = build_data_docs(warehouse().url)
    except ConfigError as error:
        return _fail(str(error))
    except psycopg.OperationalError as error:
        return _fail(f"cannot use the warehouse: {str(error).strip()}")
    print(f"data docs: {index}")
    if open_browser:
        import webbrowser

        if not webbrowser.open(index.as_uri()):
            print(f"no browser found: open {index.as_uri()}")
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"expectations: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
