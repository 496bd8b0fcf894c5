"""Fixtures for the contract tests: marts planted in build-like schemas, and a guard against network calls."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

Row = tuple[str | None, str | None, int | None, int]

# One row per week and agreed stage, every count at least one: keeps every promise of warehouse_to_bi.
GOOD_ROWS: list[Row] = [
    ("2024-01-01", "lead", 1, 5),
    ("2024-01-01", "mql", 2, 3),
    ("2024-01-08", "lead", 1, 4),
    ("2024-01-08", "mql", 2, 2),
]
# A CRM lifecycle value the glossary does not know: the stage (and its order) come out NULL.
UNKNOWN_STAGE_ROW: Row = ("2024-01-15", None, None, 2)
# The same week and stage a second time.
DUPLICATE_ROW: Row = ("2024-01-08", "lead", 1, 1)


SCENARIOS: dict[str, list[Row]] = {
    "good": GOOD_ROWS,
    "unknown_stage": [*GOOD_ROWS, UNKNOWN_STAGE_ROW],
    "duplicate": [*GOOD_ROWS, DUPLICATE_ROW],
}


# The walking skeleton's promises: the shipped warehouse_to_bi's first five, all on weekly_contacts_by_stage.
SKELETON_EXPECTATIONS = 5


@pytest.fixture(scope="session")
def skeleton_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A contracts folder holding warehouse_to_bi cut to its weekly_contacts_by_stage promises (what plant_mart
    plants); the shipped contract also reads weekly_review and the intermediate tables."""
    from expectations.runner import CONTRACTS_DIR

    suite = json.loads((CONTRACTS_DIR / "warehouse_to_bi.json").read_text())
    suite["expectations"] = suite["expectations"][:SKELETON_EXPECTATIONS]
    assert all("table" not in spec.get("meta", {}) for spec in suite["expectations"])
    directory = tmp_path_factory.mktemp("skeleton-contracts")
    (directory / "warehouse_to_bi.json").write_text(json.dumps(suite))
    return directory


@pytest.fixture(scope="module")
def plant_mart(warehouse_url: str) -> Callable[[str, str], None]:
    """Create `<schema>.weekly_contacts_by_stage` (the mart's columns and types) holding a scenario's rows:
    "good" (4 rows, 2 weeks x lead/mql, counts 5, 3, 4, 2), "unknown_stage" (plus 2024-01-15 with a NULL
    stage and 2 contacts) or "duplicate" (plus a second 2024-01-08 lead row with 1 contact)."""

    def plant(schema: str, scenario: str) -> None:
        rows = SCENARIOS[scenario]
        with psycopg.connect(warehouse_url) as conn:
            conn.execute(f"create schema {schema}")
            conn.execute(
                f"create table {schema}.weekly_contacts_by_stage "
                "(week_start date, canonical_stage text, stage_order int, contact_count bigint)"
            )
            conn.cursor().executemany(f"insert into {schema}.weekly_contacts_by_stage values (%s, %s, %s, %s)", rows)

    return plant


@pytest.fixture(scope="module")
def network_attempts() -> Iterator[list[object]]:
    """Refuse (and record) any socket connection that leaves this machine while the fixture is active.

    psycopg connects through libpq (C), so this sees only Python-level connections: HTTP calls and the like.
    """
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                attempts.append(address)
                raise ConnectionRefusedError(f"tests forbid network access (tried {address!r})")
        real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded_connect)
        yield attempts
