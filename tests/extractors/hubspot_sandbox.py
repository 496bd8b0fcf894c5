"""What the extractor tests know about the reference sandbox, computed from the story (not from its JSON)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from sandbox.story import DEFAULT_NOW_MS, Story, iso_ms

TOKEN = "extractor-test-token"
SEED = 7
SCALE = 300
FAULTS = {"unknown_lifecycle": 0.1}
PAGE_SIZE = 50  # contacts pages: 50 records, since property history is asked for


@dataclass(frozen=True)
class Served:
    """The contacts a sandbox serves at its default `--now`."""

    active_ids: frozenset[str]
    archived_ids: frozenset[str]
    latest_active_updated_at: str  # HubSpot's format, e.g. 2026-03-29T17:02:11.042Z

    @property
    def total(self) -> int:
        return len(self.active_ids) + len(self.archived_ids)

    @property
    def pages(self) -> int:
        """One pass over the active contacts and one over the archived ones; an empty pass is still a page."""
        return sum(max(1, math.ceil(len(ids) / PAGE_SIZE)) for ids in (self.active_ids, self.archived_ids))


def served(seed: int, scale: int, faults: dict[str, float] | None = None) -> Served:
    story = Story(seed, scale, dict(faults or {}))
    views = [story.view(index, DEFAULT_NOW_MS) for index in range(story.count_at(DEFAULT_NOW_MS))]
    return Served(
        active_ids=frozenset(view.id for view in views if not view.archived),
        archived_ids=frozenset(view.id for view in views if view.archived),
        latest_active_updated_at=iso_ms(max(view.updated_ms for view in views if not view.archived)),
    )


def sandbox_arguments(seed: int = SEED, scale: int = SCALE, faults: dict[str, float] | None = None) -> list[str]:
    fault_arguments = [argument for name, rate in (faults or {}).items() for argument in ("--fault", f"{name}={rate}")]
    return ["--token", TOKEN, "--seed", str(seed), "--scale", str(scale), *fault_arguments]


def point_settings_at(monkeypatch: pytest.MonkeyPatch, warehouse_url: str, base_url: str, token: str = TOKEN) -> None:
    """Point the extractor's settings (`warehouse.config`) at a test database and a sandbox."""
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("HUBSPOT_BASE_URL", base_url)
    monkeypatch.setenv("HUBSPOT_TOKEN", token)
