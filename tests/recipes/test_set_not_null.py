"""set-not-null: the column ends NOT NULL, no step scans under AccessExclusiveLock, and undoing the steps
restores the exact schema. The route differs by server version (native NOT NULL NOT VALID on 18, the
CHECK route before), so each assertion states which one it expects."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    assert_stopped_at,
    before_step,
    create_posts,
    debug_messages_of,
    error_findings,
    execute,
    forward_reports,
    plan_against,
    run_plan,
    scalar,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks


def test_set_not_null_runs_through_a_validated_constraint(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
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
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_not_null_is("public.posts", "title", True)) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO posts (id, title) VALUES (-1, NULL)")
    constraints = scalar(
        database_url,
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype = 'c'",
    )
    assert constraints == 0, "the helper CHECK must not be left behind"

    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    conn.execute("INSERT INTO posts (id, title) VALUES (-1, NULL)")


def test_set_not_null_after_the_validated_check_does_not_scan(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    if server_version >= 18:
        pytest.skip("PostgreSQL 18 takes the NOT NULL NOT VALID route: there is no SET NOT NULL step")
    create_posts(conn)
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;").plan
    _add_check, _validate, set_not_null, _drop_check = plan.steps
    # Right after the validated CHECK, as the executor is about to SET NOT NULL, the server is asked
    # what that statement does (in a transaction rolled back); then the executor runs it and the rest.
    messages: list[str] = []
    probe = before_step(set_not_null, lambda: messages.extend(debug_messages_of(database_url, set_not_null)))
    execute(database_url, plan, log_dir=tmp_path, on_event=probe)
    assert any("sufficient to prove" in message for message in messages), messages


def test_nulls_stop_the_plan_at_validation_and_the_done_steps_undo_cleanly(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN body SET NOT NULL;").plan
    before = fingerprint(database_url)
    _first, validate, *_ = plan.steps
    stopped = run_plan(database_url, plan, log_dir=tmp_path)  # the first step, then the validation
    assert_stopped_at(stopped, validate, psycopg.errors.IntegrityError)
    # On 18 attnotnull is already true for a NOT VALID not-null constraint: what matters is that the
    # constraint stays unvalidated, so nothing claims the old rows are proven.
    assert scalar(
        database_url, checks.constraint_exists("public.posts", "posts_body_not_null", validated=False)
    )
    undo(database_url, plan, log_dir=tmp_path)  # undoes the first step, the one done
    assert fingerprint(database_url) == before


def test_pg18_named_not_null_constraint_keeps_its_name(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    if server_version < 18:
        pytest.skip("ADD CONSTRAINT ... NOT NULL is PostgreSQL 18 syntax")
    create_posts(conn)
    plan = plan_against(
        database_url, "ALTER TABLE posts ADD CONSTRAINT posts_title_required NOT NULL title;"
    ).plan
    assert [step.recipe for step in plan.steps] == ["set-not-null", "set-not-null"]
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(
        database_url, checks.constraint_exists("public.posts", "posts_title_required", validated=True)
    )
    before_rollback = fingerprint(database_url)
    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) != before_rollback
    assert scalar(database_url, checks.column_not_null_is("public.posts", "title", False)) is True


def test_a_column_already_proven_not_null_is_set_in_one_step(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("ALTER TABLE posts ADD CONSTRAINT posts_title_present CHECK (title IS NOT NULL)")
    plan = plan_against(database_url, "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;").plan
    (step,) = plan.steps
    assert step.recipe == "set-not-null" and step.sql == ["ALTER TABLE posts ALTER COLUMN title SET NOT NULL"]
    before = fingerprint(database_url)
    execute(database_url, plan, log_dir=tmp_path)
    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
