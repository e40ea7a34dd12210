"""add-column-not-null: a required column with a volatile default lands filled and NOT NULL without any
rewrite or scan under AccessExclusiveLock; every row gets its own value (as the plain statement would
give it); and undoing the steps restores the exact schema — all through the real executor."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    ROWS,
    analyse_original,
    create_posts,
    error_findings,
    execute,
    plan_against,
    scalar,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.executor import MigrationStatus, apply_plan, rollback_migration
from zdt.plan.check import stamp
from zdt.plan.model import LockDuration, Phase
from zdt.recipes import _checks as checks
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

TOKEN = "ALTER TABLE posts ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"


def test_volatile_default_column_is_added_backfilled_and_made_not_null(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, TOKEN)
    plan = planned.plan

    (original,) = analyse_original(TOKEN, planned.snapshot)
    assert original.rewrites_table
    assert any("adding-volatile-default" in finding for finding in error_findings(original))

    add, backfill, vacuum, *route = plan.steps
    assert add.phase is Phase.EXPAND and add.sql == [
        "ALTER TABLE posts ADD COLUMN token uuid",
        "ALTER TABLE posts ALTER COLUMN token SET DEFAULT gen_random_uuid()",
    ]
    assert backfill.phase is Phase.MIGRATE and backfill.lock_duration is LockDuration.BATCHED
    assert backfill.backfill is not None
    assert (backfill.backfill.key_column, backfill.backfill.set_sql, backfill.backfill.where_sql) == (
        "id",
        '"token" = gen_random_uuid()',
        '"token" IS NULL',
    )
    assert backfill.rollback.not_needed
    # Right after the backfill, before any AccessExclusiveLock step: autovacuum finds nothing to do.
    assert vacuum.sql == ['VACUUM (ANALYZE) "public"."posts"'] and not vacuum.transactional
    assert vacuum.lock is LockMode.SHARE_UPDATE_EXCLUSIVE and vacuum.timeouts.lock_timeout_ms >= 5000
    assert len(route) == (2 if server_version >= 18 else 4)
    assert {step.phase for step in route} == {Phase.MIGRATE}

    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)  # add
    # Old code, which does not know the column, keeps inserting: its rows get a value from the default.
    conn.execute("INSERT INTO posts (id, title) VALUES (-1, 'written by the old release')")
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)

    assert scalar(database_url, checks.column_not_null_is("public.posts", "token", True)) is True
    assert scalar(database_url, "SELECT count(DISTINCT token) FROM posts") == ROWS + 1
    conn.execute("DELETE FROM posts WHERE id = -1")
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO posts (id, token) VALUES (-2, NULL)")

    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_the_real_executor_applies_and_rolls_back_the_plan(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, TOKEN)
    plan = stamp(planned.plan, planned.snapshot)
    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    log = tmp_path / "MIGRATION-LOG.md"

    result = apply_plan(plan, database_url, log_path=log)
    assert result.ok and result.status is MigrationStatus.DONE, result.message
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE token IS NULL") == 0
    assert scalar(database_url, checks.column_not_null_is("public.posts", "token", True)) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert fingerprint(database_url) == before


def test_a_required_column_without_default_is_refused(conn: psycopg.Connection) -> None:
    create_posts(conn)
    with pytest.raises(
        PlanningError, match=r"public\.posts\.rank is added NOT NULL without a DEFAULT"
    ) as refused:
        plan_sql("ALTER TABLE posts ADD COLUMN rank integer NOT NULL;", snapshot=introspect(conn))
    # What to do instead, with the file's own names: nullable, filled, then NOT NULL.
    assert str(refused.value).startswith("line 1: ")
    assert (
        "in three statements: ALTER TABLE posts ADD COLUMN rank integer; "
        "UPDATE posts SET rank = <value> WHERE rank IS NULL (in batches on a large table); "
        "ALTER TABLE posts ALTER COLUMN rank SET NOT NULL"
    ) in str(refused.value)


def test_the_refusal_spells_out_the_alternative_with_quoted_names() -> None:
    with pytest.raises(PlanningError, match="without a DEFAULT") as refused:
        plan_sql('ALTER TABLE "Post" ADD COLUMN "userId" TEXT NOT NULL;')
    assert (
        'ALTER TABLE "Post" ADD COLUMN "userId" text; UPDATE "Post" SET "userId" = <value> WHERE "userId" '
        'IS NULL (in batches on a large table); ALTER TABLE "Post" ALTER COLUMN "userId" SET NOT NULL'
    ) in str(refused.value)


def test_a_table_without_a_single_column_primary_key_is_refused(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE events (at timestamptz, kind text, PRIMARY KEY (at, kind))")
    conn.execute("INSERT INTO events SELECT now() - g * interval '1s', 'k' FROM generate_series(1, 20000) g")
    conn.execute("ANALYZE events")
    with pytest.raises(PlanningError, match=r"but public\.events has no single-column primary key"):
        plan_sql(
            "ALTER TABLE events ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();",
            snapshot=introspect(conn),
        )


def test_inline_constraints_are_split_out_first(conn: psycopg.Connection) -> None:
    create_posts(conn)
    with pytest.raises(PlanningError, match=r"added with inline CHECK: add the column in one statement"):
        plan_sql(
            "ALTER TABLE posts ADD COLUMN r float8 NOT NULL DEFAULT random() CHECK (r < 1);",
            snapshot=introspect(conn),
        )
