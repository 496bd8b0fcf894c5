"""The pieces of the impact review that need no database: diffs, the changelog, git materialisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from impact import changelog
from impact.project import diff_seed, diff_vars, materialise_ref

SEED = "rule_priority,source_field,match_pattern,channel\n10,original_source,PAID_SEARCH,paid_search\n"


def test_a_seed_diff_keys_rows_and_names_the_changed_values() -> None:
    new = SEED.replace("paid_search\n", "paid_search\n") + "20,original_source,REFERRALS,referral\n"
    diff = diff_seed("rules.csv", SEED, new.replace("PAID_SEARCH,paid_search", "PAID_SEARCH,paid_social"))
    assert diff.key == ("rule_priority",)
    assert [row["rule_priority"] for row in diff.added] == ["20"]
    assert diff.removed == []
    assert [(a["channel"], b["channel"]) for a, b in diff.changed] == [("paid_search", "paid_social")]


def test_vars_are_compared_by_name() -> None:
    changes = diff_vars("vars:\n  a: 1\n  b: null\n", "vars:\n  a: 1\n  b: 50\n  c: x\n")
    assert [(c.name, c.base, c.head) for c in changes] == [("b", None, 50), ("c", None, "x")]


def test_the_definitions_seed_follows_the_changelog() -> None:
    assert changelog.in_sync(), "run `python -m impact changelog --sync`"


def test_a_changelog_row_becomes_one_seed_row_per_term() -> None:
    text = (
        "## Definition changes\n\n| version | date | terms | summary |\n| --- | --- | --- | --- |\n"
        "| 1.1.0 | 2026-12-01 | mql, re_mql | MQL needs a lead score of 50 |\n"
        "| 1.0.0 | 2026-11-25 | mql | First |\n"
    )
    changes = changelog.parse(text)
    csv_text = changelog.seed_csv(changes)
    assert csv_text.splitlines()[1:] == [
        "1.0.0,2026-11-25,mql,First",
        "1.1.0,2026-12-01,mql,MQL needs a lead score of 50",
        "1.1.0,2026-12-01,re_mql,MQL needs a lead score of 50",
    ]
    assert changelog.current_version(csv_text) == "1.1.0"
    with pytest.raises(changelog.ChangelogError):
        changelog.parse(text.replace("2026-12-01", "soon"))


def test_a_git_ref_is_materialised_without_touching_the_repository(tmp_path: Path) -> None:
    project = materialise_ref("HEAD", tmp_path / "base")
    assert (project / "dbt_project.yml").is_file()
    assert (project / "seeds" / "glossary" / "glossary_channel_rules.csv").is_file()
