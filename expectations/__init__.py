"""Data contracts between the teams, checked with Great Expectations before marts are published.

Importing this package is cheap (no Great Expectations, no database driver): the Airflow DAG may import it
at parse time. See README.md and `runner.py`.
"""

from expectations.runner import (
    Contract,
    ContractBroken,
    ContractFileError,
    ContractResult,
    ExpectationOutcome,
    format_results,
    load_contracts,
    raise_for_blocking,
    record_results,
    validate,
)

__all__ = [
    "Contract",
    "ContractBroken",
    "ContractFileError",
    "ContractResult",
    "ExpectationOutcome",
    "format_results",
    "load_contracts",
    "raise_for_blocking",
    "record_results",
    "validate",
]
