"""set-not-null: the column ends NOT NULL, no step scans under AccessExclusiveLock, and undoing the steps
restores the exact schema. The route differs by server version (native NOT NULL NOT VALID on 18, the
CHECK route before), so each assertion states which one it expects."""

from __future__ import annotations

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes import harness
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    create_posts,
    error_findings,
    forward_reports,
    plan_against,
    run_step_reporting_debug,
    scalar,
)
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes import checks


def test_set_not_null_runs_through_a_validated_constraint(
    conn: psycopg.Connection, database_url: str, server_version: int
) -> None:
    create_posts(conn)
    sql = "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;"
    planned = plan_against(database_url, sql)
    plan = planned.plan

    (original,) = analyse_original(sql, planned.snapshot)
    assert original.scans_table and original.lock is LockMode.ACCESS_EXCLUSIVE
    assert any("setting-not-null" in finding for finding in error_findings(original))

    assert {step.recipe for step in plan.steps} == {"set-not-null"}
    assert {step.phase for step in plan.steps} == {Phase.MIGRATE}
    expected_steps = 2 if server_version >= 18 else 4
    assert len(plan.steps) == expected_steps
    # One step reads the table, the validation, and its lock lets reads and writes go on; that the
    # SET NOT NULL of the CHECK route does not scan is proven on the server below.
    readers = [report for report in forward_reports(plan, planned.snapshot) if report.lock is not None]
    assert [r.lock for r in readers].count(LockMode.SHARE_UPDATE_EXCLUSIVE) == 1

    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    done = harness.apply(database_url, plan)
    assert scalar(database_url, checks.column_not_null_is("public.posts", "title", True)) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO posts (id, title) VALUES (-1, NULL)")
    constraints = scalar(
        database_url,
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype = 'c'",
    )
    assert constraints == 0, "the helper CHECK must not be left behind"

    harness.rollback(database_url, done)
    assert fingerprint(database_url) == before
    conn.execute("INSERT INTO posts (id, title) VALUES (-1, NULL)")


def test_set_not_null_after_the_validated_check_does_not_scan(
    conn: psycopg.Connection, database_url: str, server_version: int
) -> None:
    if server_version >= 18:
        pytest.skip("PostgreSQL 18 takes the NOT NULL NOT VALID route: there is no SET NOT NULL step")
    create_posts(conn)
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;").plan
    add_check, validate, set_not_null, drop_check = plan.steps
    for step in (add_check, validate):
        harness.run_step(database_url, step)
    messages = run_step_reporting_debug(database_url, set_not_null)
    assert any("sufficient to prove" in message for message in messages), messages
    harness.run_step(database_url, drop_check)


def test_nulls_stop_the_plan_at_validation_and_the_done_steps_undo_cleanly(
    conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN body SET NOT NULL;").plan
    before = fingerprint(database_url)
    first, validate, *_ = plan.steps
    harness.run_step(database_url, first)
    with pytest.raises(psycopg.errors.IntegrityError):
        harness.run_step(database_url, validate)
    # On 18 attnotnull is already true for a NOT VALID not-null constraint: what matters is that the
    # constraint stays unvalidated, so nothing claims the old rows are proven.
    assert scalar(
        database_url, checks.constraint_exists("public.posts", "posts_body_not_null", validated=False)
    )
    harness.rollback(database_url, [first])
    assert fingerprint(database_url) == before


def test_pg18_named_not_null_constraint_keeps_its_name(
    conn: psycopg.Connection, database_url: str, server_version: int
) -> None:
    if server_version < 18:
        pytest.skip("ADD CONSTRAINT ... NOT NULL is PostgreSQL 18 syntax")
    create_posts(conn)
    plan = plan_against(
        database_url, "ALTER TABLE posts ADD CONSTRAINT posts_title_required NOT NULL title;"
    ).plan
    assert [step.recipe for step in plan.steps] == ["set-not-null", "set-not-null"]
    done = harness.apply(database_url, plan)
    assert scalar(
        database_url, checks.constraint_exists("public.posts", "posts_title_required", validated=True)
    )
    before_rollback = fingerprint(database_url)
    harness.rollback(database_url, done)
    assert fingerprint(database_url) != before_rollback
    assert scalar(database_url, checks.column_not_null_is("public.posts", "title", False)) is True


def test_a_column_already_proven_not_null_is_set_in_one_step(
    conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    conn.execute("ALTER TABLE posts ADD CONSTRAINT posts_title_present CHECK (title IS NOT NULL)")
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;").plan
    (step,) = plan.steps
    assert step.recipe == "set-not-null" and step.sql == ["ALTER TABLE posts ALTER COLUMN title SET NOT NULL"]
    before = fingerprint(database_url)
    harness.rollback(database_url, harness.apply(database_url, plan))
    assert fingerprint(database_url) == before
