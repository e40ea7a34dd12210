"""create-table-as: CREATE MATERIALIZED VIEW / CREATE TABLE ... AS is one expand step whose rollback drops
what it created; the step says the query reads its sources under AccessShareLock (WITH DATA) or does not
run (WITH NO DATA); IF NOT EXISTS is a no-op when the relation exists, and refused without a snapshot."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) FROM posts GROUP BY 1;", "m"),
        ("CREATE TABLE post_copy AS SELECT id, title FROM posts;", "r"),
    ],
)
def test_created_in_expand_read_under_access_share_and_dropped_on_rollback(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path, sql: str, kind: str
) -> None:
    create_posts(conn)
    before = fingerprint(database_url)
    planned = plan_against(database_url, sql)
    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.recipe == "create-table-as"
    assert step.lock is LockMode.ACCESS_SHARE and step.lock_duration is LockDuration.SCAN
    assert "public.posts under AccessShareLock" in step.description
    assert step.timeouts.statement_timeout_ms == 0
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    relation = "public.post_counts" if kind == "m" else "public.post_copy"
    assert (
        scalar(database_url, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass(%s)", (relation,))
        == kind
    )
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_with_no_data_runs_no_query(conn: psycopg.Connection, database_url: str, tmp_path: Path) -> None:
    create_posts(conn)
    planned = plan_against(
        database_url,
        "CREATE MATERIALIZED VIEW author_ids AS SELECT DISTINCT author_id FROM posts WITH NO DATA;",
    )
    (step,) = planned.plan.steps
    assert step.lock is None and step.lock_duration is LockDuration.NONE
    assert "WITH NO DATA" in step.description and "unreadable until a REFRESH" in step.description
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert (
        scalar(database_url, "SELECT relispopulated FROM pg_class WHERE oid = 'author_ids'::regclass")
        is False
    )


def test_if_not_exists_of_an_existing_relation_needs_no_rollback(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("CREATE TABLE post_copy AS SELECT id FROM posts WHERE id < 10")
    planned = plan_against(
        database_url, "CREATE TABLE IF NOT EXISTS post_copy AS SELECT id, title FROM posts;"
    )
    (step,) = planned.plan.steps
    assert step.rollback.not_needed and "no-op" in step.description
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM post_copy") == 9  # left as it was


def test_if_not_exists_without_a_snapshot_is_refused() -> None:
    with pytest.raises(PlanningError, match=r"line 1: .*IF NOT EXISTS public.m.*--database-url"):
        plan_sql("CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1 AS a;")
