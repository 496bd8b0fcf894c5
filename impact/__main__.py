"""`python -m impact --base <git ref> [--out DIR]`, and `python -m impact changelog --sync|--check`.

Exit codes: 0 report written (also when nothing changed), 1 with --fail-on-broken-contract when a promise
newly fails, 2 on a build or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from impact import changelog
from impact.project import REPO_ROOT

DEFAULT_WORK_DIR = REPO_ROOT / ".local" / "impact"


def _review_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m impact", description=__doc__)
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", default="main", help="git ref of the base (default: main)")
    base.add_argument("--base-dir", type=Path, help="a dbt project folder as the base instead of a git ref")
    parser.add_argument("--head-dir", type=Path, default=REPO_ROOT / "dbt_project", help="the head project folder")
    parser.add_argument("--out", type=Path, help="report folder (default: <work dir>/report)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="project copies and dbt targets")
    parser.add_argument("--schema", default="impact", help="target schemas <schema>_base_* and <schema>_head_*")
    parser.add_argument("--no-contracts", action="store_true", help="skip validating the contracts")
    parser.add_argument("--rebuild-base", action="store_true", help="rebuild the base even when it could be reused")
    parser.add_argument("--fail-on-broken-contract", action="store_true", help="exit 1 when a promise newly fails")
    return parser


def review(argv: list[str]) -> int:
    args = _review_parser().parse_args(argv)
    from impact import output, review
    from impact.build import BuildError
    from impact.project import ProjectError
    from warehouse import config, services

    try:
        os.environ["WAREHOUSE_URL"] = services.ensure_warehouse()  # the demo's embedded warehouse when unset
        options = review.Options(
            url=config.warehouse().url,
            work_dir=args.work_dir,
            base_ref=None if args.base_dir else args.base,
            base_dir=args.base_dir,
            head_dir=args.head_dir,
            schema=args.schema,
            contracts=not args.no_contracts,
            rebuild_base=args.rebuild_base,
        )
        report = review.run(options)
    except (BuildError, ProjectError, config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = output.write(report, args.out or args.work_dir / "report")
    print(paths["markdown"].read_text())
    for name, path in paths.items():
        print(f"{name}: {path}")
    newly_failing = [c for c in report.contract_changes if not c.head.success]
    return 1 if args.fail_on_broken_contract and newly_failing else 0


def changelog_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m impact changelog", description=changelog.__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--sync", action="store_true", help="write the definitions seed from CHANGELOG.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when the seed differs from CHANGELOG.md")
    args = parser.parse_args(argv)
    try:
        if args.sync:
            changed = changelog.sync()
            print(f"{changelog.seed_path(REPO_ROOT / 'dbt_project')}: {'written' if changed else 'up to date'}")
            return 0
        if changelog.in_sync():
            print("definitions seed matches CHANGELOG.md")
            return 0
    except changelog.ChangelogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("definitions seed differs from CHANGELOG.md: run `python -m impact changelog --sync`", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["changelog"]:
        return changelog_command(argv[1:])
    return review(argv)


if __name__ == "__main__":
    sys.exit(main())
