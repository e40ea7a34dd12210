"""drop-not-null: the column becomes nullable in the expand phase, and the rollback makes it NOT NULL again
without scanning under AccessExclusiveLock (native NOT NULL NOT VALID + VALIDATE on 18, the CHECK route
before), restoring the exact schema; NULLs written meanwhile stop the rollback until they are filled."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import (
    analyse_original,
    create_posts,
    debug_messages_of,
    execute,
    plan_against,
    scalar,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.executor import rollback_migration
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

SQL = "ALTER TABLE posts ALTER COLUMN score DROP NOT NULL;"


def test_drop_not_null_is_expand_and_rolls_back_without_a_blocking_scan(
    conn: psycopg.Connection, database_url: str, admin_url: str, server_version: int, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, SQL)
    (original,) = analyse_original(SQL, planned.snapshot)
    assert original.lock is LockMode.ACCESS_EXCLUSIVE and not original.scans_table

    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.recipe == "drop-not-null"
    assert step.sql == ["ALTER TABLE posts ALTER COLUMN score DROP NOT NULL"]
    assert "without a scan under AccessExclusiveLock" in step.description
    assert step.rollback.transactional is False  # each statement commits: the scan holds no blocking lock
    if server_version >= 18:
        assert step.rollback.sql == [
            'ALTER TABLE "public"."posts" DROP CONSTRAINT IF EXISTS "posts_score_not_null"',
            'ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_score_not_null" NOT NULL "score" NOT VALID',
            'ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_score_not_null"',
        ]
    else:
        assert "CHECK" in step.rollback.sql[1] and "SET NOT NULL" in step.rollback.sql[3]

    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_not_null_is("public.posts", "score", False)) is True
    conn.execute("INSERT INTO posts (id, score) VALUES (20001, NULL)")  # what the new release may write
    conn.execute("DELETE FROM posts WHERE id = 20001")
    if server_version < 18:  # PostgreSQL's own word that the validated CHECK spares SET NOT NULL its scan
        route = step.model_copy(
            update={
                "sql": step.rollback.sql[1:4],
                "verify": step.verify.model_copy(
                    update={"sql": checks.column_not_null_is("public.posts", "score", True)}
                ),
            }
        )
        messages = debug_messages_of(database_url, route)
        assert any("sufficient to prove" in message for message in messages), messages

    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_not_null_is("public.posts", "score", True)) is True
    assert fingerprint(database_url) == before

    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path / "proof", server_url=admin_url
    ).proven


def test_nulls_written_meanwhile_stop_the_rollback_until_they_are_filled(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, SQL).plan
    before = fingerprint(database_url)
    execute(database_url, plan, log_dir=tmp_path)
    conn.execute("UPDATE posts SET score = NULL WHERE id = 1")

    stopped = rollback_migration(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert not stopped.ok

    conn.execute("UPDATE posts SET score = 0 WHERE id = 1")
    undo(database_url, plan, log_dir=tmp_path)  # starts again from a clean slate: its leftover goes first
    assert fingerprint(database_url) == before


def test_primary_key_nullable_and_offline_columns(conn: psycopg.Connection) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match=r"public\.posts\.id is in the primary key"):
        plan_sql("ALTER TABLE posts ALTER COLUMN id DROP NOT NULL;", snapshot=snapshot)

    (already,) = plan_sql("ALTER TABLE posts ALTER COLUMN body DROP NOT NULL;", snapshot=snapshot).steps
    assert already.rollback.not_needed and "nullable before" in already.rollback.not_needed

    offline = plan_sql(SQL)  # no snapshot: the way back needs no definition
    (step,) = offline.steps
    assert step.phase is Phase.EXPAND and step.rollback.sql
    assert check_plan(offline) == []
