"""drop-index-concurrently: each index goes in its own non-blocking contract step, and the rollback
rebuilds it exactly as it was (same fingerprint), concurrently."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    create_posts,
    execute,
    plan_against,
    scalar,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect


def test_index_is_dropped_concurrently_and_rebuilt_on_rollback(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "DROP INDEX posts_title_idx;"
    planned = plan_against(database_url, sql)

    (original,) = analyse_original(sql, planned.snapshot)
    assert original.lock is LockMode.ACCESS_EXCLUSIVE
    assert any(f.rule == "require-concurrent-index-deletion" for f in original.findings)

    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.transactional is False
    assert step.sql == ["DROP INDEX CONCURRENTLY posts_title_idx"]
    assert step.lock is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert step.rollback.transactional is False

    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.relation_absent("public.posts_title_idx")) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum

    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.index_valid("public.posts_title_idx")) is True
    assert fingerprint(database_url) == before


def test_several_indexes_get_one_step_each(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(
        "CREATE UNIQUE INDEX posts_author_title_key ON posts (author_id, title) WHERE body IS NOT NULL"
    )
    planned = plan_against(
        database_url, "DROP INDEX IF EXISTS posts_title_idx, public.posts_author_title_key;"
    )
    assert [step.sql for step in planned.plan.steps] == [
        ["DROP INDEX CONCURRENTLY IF EXISTS posts_title_idx"],
        ["DROP INDEX CONCURRENTLY IF EXISTS public.posts_author_title_key"],
    ]
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before  # the partial unique index came back as it was


def test_without_a_snapshot_the_rollback_says_why_it_is_irreversible() -> None:
    plan = plan_sql("DROP INDEX posts_title_idx;")
    (step,) = plan.steps
    assert step.sql == ["DROP INDEX CONCURRENTLY posts_title_idx"]
    assert step.rollback.irreversible and "without a schema snapshot" in step.rollback.irreversible
    assert check_plan(plan) == []  # contract steps may be irreversible


def test_primary_key_index_and_cascade_are_refused(conn: psycopg.Connection) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match=r"posts_pkey backs the primary key of public\.posts"):
        plan_sql("DROP INDEX posts_pkey;", snapshot=snapshot)
    with pytest.raises(PlanningError, match="CASCADE cannot run CONCURRENTLY"):
        plan_sql("DROP INDEX posts_title_idx CASCADE;", snapshot=snapshot)


def test_an_index_pglast_cannot_reprint_gets_an_explicit_irreversible_rollback(
    conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    conn.execute("CREATE UNIQUE INDEX posts_body_key ON posts (title) NULLS NOT DISTINCT WHERE score > 3")
    (step,) = plan_against(database_url, "DROP INDEX posts_body_key;").plan.steps
    assert step.rollback.irreversible
    assert "recreate it by hand" in step.rollback.irreversible
    assert "NULLS NOT DISTINCT" in step.rollback.irreversible  # the definition to recreate it from
