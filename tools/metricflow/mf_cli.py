"""`mf` without its update check: run by the MetricFlow tool environment's Python (see run.py).

dbt-metricflow asks PyPI for a newer version on every command; the pipeline calls nothing at run time, and
the locked version is the one we want, so the check is replaced by "no update" before the CLI starts.
"""

from __future__ import annotations

import sys

import update_checker


def _no_update(*_args: object, **_kwargs: object) -> None:
    return None


if __name__ == "__main__":
    update_checker.UpdateChecker.check = _no_update  # type: ignore[method-assign]
    from dbt_metricflow.cli.main import cli

    sys.exit(cli())
