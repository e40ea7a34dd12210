"""Both releases at every phase boundary, on a real server: the plan applied to a database phase by phase.

A rename planned as expand/migrate/contract breaks nothing either release lives through; what the
rollout handles (the old release retired before contract, the new one withdrawn before a rollback) is a
deploy note. A plan that renames in expand breaks the old release at expand, named with its step; a
type change in place changes a query's result columns, which breaks prepared statements.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from zdt.compat.boundaries import WITHDRAW_FIRST, Boundary, walk_boundaries
from zdt.compat.queries import parse_queries
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

OLD = parse_queries(
    "-- name: old_read\nSELECT id, name FROM accounts WHERE id = $1;\n"
    "-- name: old_write\nUPDATE accounts SET name = $1 WHERE id = $2;\n"
    "-- name: old_score\nSELECT id, score FROM accounts WHERE id = $1;\n",
    source="v1.sql",
)
NEW = parse_queries(
    "-- name: new_read\nSELECT id, full_name FROM accounts WHERE id = $1;\n"
    "-- name: new_score\nSELECT score FROM accounts WHERE id = $1;\n",
    source="v2.sql",
)


@pytest.fixture
def accounts_url(conn: psycopg.Connection, database_url: str) -> str:
    conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, score int NOT NULL)")
    conn.execute("INSERT INTO accounts SELECT g, 'user ' || g, g FROM generate_series(1, 20000) g")
    conn.execute("ANALYZE accounts")
    return database_url


def _phase_by_phase(plan: MigrationPlan, url: str, tmp_path: Path) -> Callable[[Phase], str | None]:
    """The real executor, one phase at a time."""

    def apply_phase(phase: Phase) -> str | None:
        result = apply_plan(plan, url, phases=[phase], log_path=tmp_path / "MIGRATION-LOG.md")
        return None if result.ok else result.message

    return apply_phase


def _as_written(plan: MigrationPlan, url: str) -> Callable[[Phase], str | None]:
    """A plan the gate would refuse, run as written (another tool's plan), one phase at a time."""

    def apply_phase(phase: Phase) -> str | None:
        with psycopg.connect(url, autocommit=True) as conn:
            for step in plan.steps_in(phase):
                for statement in step.sql:
                    conn.execute(statement)
        return None

    return apply_phase


def test_a_planned_rename_breaks_neither_release_and_names_what_the_rollout_must_do(
    accounts_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(accounts_url) as conn:
        snapshot = introspect(conn)
    plan = stamp(
        plan_sql("ALTER TABLE accounts RENAME COLUMN name TO full_name;", snapshot=snapshot), snapshot
    )

    report = walk_boundaries(plan, accounts_url, OLD, NEW, _phase_by_phase(plan, accounts_url, tmp_path))

    assert report.reached == [Boundary.BEFORE, Boundary.EXPANDED, Boundary.MIGRATED, Boundary.CONTRACTED]
    assert report.breaks == [], [finding.sentence() for finding in report.breaks]
    assert report.verdict == "compatible" and report.not_judged == []
    notes = {(note.release, note.query, note.boundary) for note in report.deploy_notes}
    assert notes == {
        ("old", "old_read (v1.sql:2)", Boundary.CONTRACTED),
        ("old", "old_write (v1.sql:4)", Boundary.CONTRACTED),
        ("new", "new_read (v2.sql:2)", Boundary.BEFORE),
    }
    retired = next(note for note in report.deploy_notes if note.query.startswith("old_read"))
    assert retired.error is not None and retired.error.startswith("42703")
    assert retired.steps == [step.id for step in plan.steps_in(Phase.CONTRACT)]
    assert "deploy gate" in retired.fix
    withdraw = next(note for note in report.deploy_notes if note.release == "new")
    assert withdraw.fix == WITHDRAW_FIRST
    assert report.summary() == "3 old and 2 new queries at 4 boundaries: 0 break(s), 3 deploy note(s)"


def test_with_version_schemas_the_new_release_uses_the_final_names_and_types_at_every_boundary(
    accounts_url: str, tmp_path: Path
) -> None:
    """The new release queries score as bigint and full_name through its version schema: nothing breaks
    from migrate on, and its result columns stay the same through contract (prepared statements live)."""
    with psycopg.connect(accounts_url) as conn:
        snapshot = introspect(conn)
    sql_text = (
        "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;\n"
        "ALTER TABLE accounts RENAME COLUMN name TO full_name;"
    )
    plan = stamp(
        plan_sql(sql_text, snapshot=snapshot, settings=PlannerSettings(versioned_schemas=None)), snapshot
    )
    assert plan.versions is not None
    new = parse_queries(
        "-- name: new_read\nSELECT id, full_name, score FROM accounts WHERE id = $1;\n"
        "-- name: new_write\nUPDATE accounts SET score = $1 WHERE id = $2;\n",
        source="v2.sql",
    )

    report = walk_boundaries(plan, accounts_url, OLD, new, _phase_by_phase(plan, accounts_url, tmp_path))

    assert report.breaks == [], [finding.sentence() for finding in report.breaks]
    new_notes = {(note.query, note.boundary) for note in report.deploy_notes if note.release == "new"}
    assert new_notes == {("new_read (v2.sql:2)", Boundary.BEFORE)}  # no full_name before the plan
    with psycopg.connect(accounts_url) as conn:
        kind = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = 'score'",
            [f"{plan.versions.new_schemas[0]}.accounts"],
        ).fetchone()
    assert kind == ("bigint",)


def unchecked_plan(steps: list[Step], server_version: int) -> MigrationPlan:
    return MigrationPlan(id="m1", source="-- hand-built", pg_version=server_version, steps=steps)


def _step(step_id: str, phase: Phase, statement: str, undo: str) -> Step:
    return Step(
        id=step_id,
        phase=phase,
        description=statement,
        sql=[statement],
        verify=Verification(sql="SELECT true"),
        rollback=Rollback(sql=[undo]),
    )


def test_a_rename_in_expand_breaks_the_old_release_at_expand_with_its_step(
    accounts_url: str, server_version: int, tmp_path: Path
) -> None:
    rename = _step(
        "rename-now",
        Phase.EXPAND,
        "ALTER TABLE public.accounts RENAME COLUMN name TO full_name",
        "ALTER TABLE public.accounts RENAME COLUMN full_name TO name",
    )
    plan = unchecked_plan([rename], server_version)

    report = walk_boundaries(plan, accounts_url, OLD, NEW, _as_written(plan, accounts_url))

    assert report.verdict == "incompatible"
    broken = {(finding.query, finding.boundary) for finding in report.breaks}
    assert broken == {("old_read (v1.sql:2)", Boundary.EXPANDED), ("old_write (v1.sql:4)", Boundary.EXPANDED)}
    first = report.breaks[0]
    assert first.steps == ["rename-now"] and first.error is not None and first.error.startswith("42703")
    assert "rename-now break(s) it while the old release still runs" in first.fix
    assert "old release, old_read (v1.sql:2), after expand: 42703" in first.sentence()


def test_a_type_change_in_place_changes_result_columns_and_that_is_a_break(
    accounts_url: str, server_version: int, tmp_path: Path
) -> None:
    widen = _step(
        "widen-score",
        Phase.MIGRATE,
        "ALTER TABLE public.accounts ALTER COLUMN score TYPE bigint",
        "ALTER TABLE public.accounts ALTER COLUMN score TYPE integer",
    )
    plan = unchecked_plan([widen], server_version)

    report = walk_boundaries(plan, accounts_url, OLD[2:], NEW[1:], _as_written(plan, accounts_url))

    [old_break] = report.breaks
    assert (old_break.release, old_break.boundary, old_break.error) == ("old", Boundary.MIGRATED, None)
    assert old_break.columns == "id bigint, score integer -> id bigint, score bigint"
    assert "widen-score break(s) it while the old release still runs" in old_break.fix
    # The new release is written for bigint: fine on the migrated schema, but a rollback would change
    # its result type under its prepared statements.
    [rollback_note] = report.deploy_notes
    assert (rollback_note.release, rollback_note.boundary) == ("new", Boundary.BEFORE)
    assert rollback_note.columns == "score bigint -> score integer"
