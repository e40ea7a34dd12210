"""add-unique-using-index: UNIQUE and PRIMARY KEY constraints end exactly as the plain statement makes them,
with the index built concurrently and (for a primary key) its nullable columns proven first; a failed
build cleans up after itself; undoing the steps restores the exact schema."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    ROWS,
    analyse_original,
    assert_stopped_at,
    create_posts,
    error_findings,
    execute,
    plan_against,
    run_plan,
    scalar,
    undo,
)
from zdt.executor import EventKind, ExecutionEvent, MigrationStatus, apply_plan, rollback_migration
from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes.add_unique_using_index import constraint_of_kind
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect


def test_unique_constraint_attaches_an_index_built_concurrently(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);"
    planned = plan_against(database_url, sql)

    (original,) = analyse_original(sql, planned.snapshot)
    assert any("adding-unique-constraint" in finding for finding in error_findings(original))

    build, attach = planned.plan.steps
    assert (build.phase, attach.phase) == (Phase.EXPAND, Phase.EXPAND)
    assert build.sql == ["CREATE UNIQUE INDEX CONCURRENTLY posts_title_key ON posts (title)"]
    assert build.transactional is False and build.on_failure_sql
    assert attach.sql == [
        "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE USING INDEX posts_title_key"
    ]

    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, constraint_of_kind("public.posts", "posts_title_key", "u")) is True
    assert scalar(database_url, checks.index_valid("public.posts_title_key")) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO posts (id, title) VALUES (-1, 'title 1')")

    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_primary_key_on_a_nullable_column_proves_it_not_null_first(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE tags (name text, uses integer)")
    conn.execute(f"INSERT INTO tags SELECT 'tag ' || g, g % 13 FROM generate_series(1, {ROWS}) g")
    conn.execute("ANALYZE tags")
    sql = "ALTER TABLE tags ADD PRIMARY KEY (name);"
    planned = plan_against(database_url, sql)

    (original,) = analyse_original(sql, planned.snapshot)
    assert any("primary-key-using-index-on-nullable" in finding for finding in error_findings(original))

    build, *route, attach = planned.plan.steps
    assert build.phase is Phase.EXPAND and build.sql == [
        "CREATE UNIQUE INDEX CONCURRENTLY tags_pkey ON tags (name)"
    ]
    assert len(route) == (2 if server_version >= 18 else 4)
    assert {step.phase for step in route} == {Phase.MIGRATE} and attach.phase is Phase.MIGRATE
    assert attach.sql == ["ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY USING INDEX tags_pkey"]

    # Through the real executor: apply every phase, then roll the whole migration back.
    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.tags", ["name", "uses"])
    plan = stamp(planned.plan, planned.snapshot)
    log = tmp_path / "MIGRATION-LOG.md"
    result = apply_plan(plan, database_url, log_path=log)
    assert result.ok, result.message
    assert scalar(database_url, constraint_of_kind("public.tags", "tags_pkey", "p")) is True
    assert scalar(database_url, checks.column_not_null_is("public.tags", "name", True)) is True
    assert table_checksum(database_url, "public.tags", ["name", "uses"]) == checksum

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert fingerprint(database_url) == before


def test_primary_key_on_not_null_columns_needs_no_route(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE tags (name text NOT NULL, uses integer)")
    conn.execute(f"INSERT INTO tags SELECT 'tag ' || g, g % 13 FROM generate_series(1, {ROWS}) g")
    conn.execute("ANALYZE tags")
    planned = plan_against(database_url, "ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY (name);")
    _, attach = planned.plan.steps
    assert attach.phase is Phase.EXPAND
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, constraint_of_kind("public.tags", "tags_pkey", "p")) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_duplicates_fail_the_build_and_its_cleanup_leaves_nothing_behind(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("UPDATE posts SET title = 'same' WHERE id IN (1, 2)")
    planned = plan_against(database_url, "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);")
    before = fingerprint(database_url)
    build, _ = planned.plan.steps
    cleanups: list[ExecutionEvent] = []

    def on_event(event: ExecutionEvent) -> None:
        if event.kind is EventKind.CLEANUP:
            cleanups.append(event)

    stopped = run_plan(database_url, planned.plan, log_dir=tmp_path, on_event=on_event)
    assert_stopped_at(stopped, build, psycopg.errors.UniqueViolation)
    # The failed build left an INVALID index; the executor dropped it with the step's on_failure_sql.
    assert [event.step_id for event in cleanups] == [build.id] and build.on_failure_sql
    assert scalar(database_url, checks.relation_absent("public.posts_title_key")) is True
    assert fingerprint(database_url) == before


def test_what_cannot_be_printed_or_named_is_refused(conn: psycopg.Connection) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match="cannot print CREATE UNIQUE INDEX CONCURRENTLY"):
        plan_sql(
            "ALTER TABLE posts ADD CONSTRAINT k UNIQUE NULLS NOT DISTINCT (title) WITH (fillfactor = 70);",
            snapshot=snapshot,
        )
    with pytest.raises(PlanningError, match=r"an index named public\.posts_title_idx already exists"):
        plan_sql("ALTER TABLE posts ADD CONSTRAINT posts_title_idx UNIQUE (title);", snapshot=snapshot)
