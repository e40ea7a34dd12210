"""drop-table: contract-only, guarded by a catalog check that nothing outside the dropped set depends on
the tables, and honest that its rollback is a restore from backup."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    create_posts,
    plan_against,
    scalar,
    steps_in,
)
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes import _dependents as dependents

LEGACY = """
CREATE TABLE legacy_votes (id bigint PRIMARY KEY, post_id bigint, value integer);
INSERT INTO legacy_votes SELECT g, g, 1 FROM generate_series(1, 12000) g;
CREATE TABLE legacy_vote_notes (id bigint PRIMARY KEY, vote_id bigint REFERENCES legacy_votes (id));
ANALYZE;
"""


def test_unused_table_is_dropped_in_contract_after_the_guard(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(LEGACY)
    sql = "DROP TABLE legacy_vote_notes, legacy_votes;"
    planned = plan_against(database_url, sql)

    (original,) = analyse_original(sql, planned.snapshot)
    assert any(f.rule == "dropping-table" for f in original.findings)

    guard, drop = planned.plan.steps
    assert {guard.phase, drop.phase} == {Phase.CONTRACT}
    assert steps_in(planned.plan, Phase.EXPAND, Phase.MIGRATE) == []
    assert "application must have stopped using it" in guard.description
    assert (
        drop.rollback.irreversible
        == "a dropped table's data is gone at COMMIT: rollback means restore from backup"
    )

    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    result = apply_plan(stamp(planned.plan, planned.snapshot), database_url, log_path=tmp_path / "log.md")
    assert result.ok, result.message
    assert scalar(database_url, checks.relation_absent("public.legacy_votes")) is True
    assert scalar(database_url, checks.relation_absent("public.legacy_vote_notes")) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum


DEPENDENTS = {
    # legacy_vote_notes references legacy_votes by foreign key and is not dropped with it
    "foreign-key": ("", "constraint legacy_vote_notes_vote_id_fkey on table legacy_vote_notes"),
    "view": (
        "CREATE VIEW vote_totals AS SELECT post_id, sum(value) FROM legacy_votes GROUP BY post_id",
        "rule _RETURN on view vote_totals",
    ),
    "function": (
        "CREATE FUNCTION vote_weight(v legacy_votes) RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        "function vote_weight(legacy_votes)",
    ),
}


@pytest.mark.parametrize("case", DEPENDENTS)
def test_a_dependent_outside_the_dropped_set_stops_the_plan(
    case: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    dependent, listed = DEPENDENTS[case]
    conn.execute(LEGACY)
    if dependent:
        conn.execute("DROP TABLE legacy_vote_notes")
        conn.execute(dependent)
    planned = plan_against(database_url, "DROP TABLE legacy_votes;")
    before = fingerprint(database_url)
    plan = stamp(planned.plan, planned.snapshot)
    result = apply_plan(plan, database_url, log_path=tmp_path / "log.md")
    assert not result.ok and result.failed_step == plan.steps[0].id
    assert scalar(database_url, checks.relation_exists("public.legacy_votes")) is True
    assert fingerprint(database_url) == before
    assert scalar(database_url, dependents.list_table_dependents(["public.legacy_votes"])) == [listed]
