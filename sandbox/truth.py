"""Ground truth of the story, computed from the simulation's own state (never from the API's JSON).

End-to-end tests compare what the warehouse reports with these numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from sandbox.story import Story, parse_instant, to_ms

# The glossary's canonical stages, in funnel order. HubSpot has no SAL; planted unknown values map to None.
CANONICAL_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist", "other")

WeekStage = tuple[date, str | None]


def week_start(ms: int) -> date:
    """Monday of the UTC week containing the instant ``ms``."""
    day = datetime.fromtimestamp(ms // 1000, tz=UTC).date()
    return day - timedelta(days=day.weekday())


def _as_ms(as_of: datetime | str) -> int:
    return to_ms(parse_instant(as_of) if isinstance(as_of, str) else as_of)


def contacts_by_week_and_stage(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> dict[WeekStage, int]:
    """Active (non-archived) contacts existing at ``as_of``, by (Monday of createdate's UTC week, stage).

    The stage is the one recorded at ``as_of``, mapped to its canonical name; None for a planted unknown.
    """
    story = Story(seed, scale, dict(faults or {}))
    now_ms = _as_ms(as_of)
    counts: Counter[WeekStage] = Counter()
    for index in range(story.count_at(now_ms)):
        view = story.view(index, now_ms)
        if view.archived:
            continue
        stage = view.stage
        counts[(week_start(view.created_ms), stage.canonical if stage is not None else None)] += 1
    return dict(counts)


def _stage_order(stage: str | None) -> int:
    return CANONICAL_STAGES.index(stage) if stage is not None else len(CANONICAL_STAGES)


def truth_document(seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None) -> dict:
    """The JSON the ``truth`` command prints: parameters plus one row per (week, stage)."""
    counts = contacts_by_week_and_stage(seed, scale, as_of, faults)
    rows = [
        {"week": week.isoformat(), "stage": stage, "contacts": counts[(week, stage)]}
        for week, stage in sorted(counts, key=lambda key: (key[0], _stage_order(key[1])))
    ]
    as_of_text = as_of if isinstance(as_of, str) else as_of.isoformat()
    return {
        "seed": seed,
        "scale": scale,
        "as_of": as_of_text,
        "faults": dict(faults or {}),
        "canonical_stages": list(CANONICAL_STAGES),
        "contacts_by_week_and_stage": rows,
    }
