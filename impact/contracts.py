"""Which contract promises would newly pass or fail: the same contract files validated against the base
schemas and the head schemas (nothing is recorded in audit)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PromiseOutcome:
    contract: str
    index: int  # position in the contract file: the promise's identity across both sides
    promise: str
    table: str  # logical (prefix stripped)
    severity: str
    success: bool
    unexpected_count: int | None


@dataclass(frozen=True)
class ContractChange:
    base: PromiseOutcome | None
    head: PromiseOutcome

    @property
    def verdict(self) -> str:
        if self.base is None:
            return "new promise, " + ("passes" if self.head.success else "fails")
        return "newly passes" if self.head.success else "newly fails"


def validate_side(url: str, schema_prefix: str) -> list[dict[str, Any]]:
    """Every promise's outcome against one side's schemas, as plain dicts (cacheable as JSON)."""
    from expectations.runner import validate

    outcomes = []
    for result in validate(url, schema_prefix=schema_prefix, run_id=f"impact-{schema_prefix.rstrip('_')}"):
        for index, outcome in enumerate(result.expectations):
            table = (outcome.table or result.table).removeprefix(schema_prefix)
            outcomes.append(
                asdict(
                    PromiseOutcome(
                        contract=result.name,
                        index=index,
                        promise=outcome.promise or f"{outcome.expectation} {outcome.column}".strip(),
                        table=table,
                        severity=result.severity_of(outcome),
                        success=outcome.success,
                        unexpected_count=outcome.unexpected_count,
                    )
                )
            )
    return outcomes


def contract_changes(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[ContractChange]:
    before = {(o["contract"], o["index"]): PromiseOutcome(**o) for o in base}
    changes = []
    for item in head:
        outcome = PromiseOutcome(**item)
        previous = before.get((outcome.contract, outcome.index))
        if previous is None or previous.success != outcome.success:
            changes.append(ContractChange(previous, outcome))
    return changes


def summary(outcomes: list[dict[str, Any]]) -> tuple[int, int]:
    """(promises kept, promises broken)."""
    kept = sum(1 for o in outcomes if o["success"])
    return kept, len(outcomes) - kept
