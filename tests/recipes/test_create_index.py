"""create-index-concurrently: CREATE INDEX on a live table becomes CREATE INDEX CONCURRENTLY in its own
non-transactional expand step, on a real server through the real executor.

What is proven here: the plain statement is flagged and its plan passes the gate; the index the plan
builds is valid and exactly the one the plain statement builds (unique, expressions, predicates
included); writes go on while it is being built; a build that fails (duplicates for a unique index)
leaves no INVALID index behind and the database as before; rollback drops the index again; and an index
on a table the same plan creates, or one without a name, does not take this route.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from zdt.analysis import Severity, analyse_sql
from zdt.db.scratch import scratch_database
from zdt.executor import (
    ExecutionResult,
    ExecutorSettings,
    MigrationStatus,
    apply_plan,
    rollback_migration,
)
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import LockDuration, MigrationPlan, Phase
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.schema import SchemaSnapshot, introspect

RECIPE = "create-index-concurrently"
ROWS = 12_000  # above the analyser's small-table threshold: the plain statement is an error there
SETTINGS = PlannerSettings(batch_size=5_000, batch_pause_ms=0)
SCHEMA = f"""
CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, title text NOT NULL);
INSERT INTO posts SELECT g, 1 + g % 100, 'post ' || g FROM generate_series(1, {ROWS}) g;
ANALYZE posts;
"""


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def _planned(url: str, sql: str) -> tuple[MigrationPlan, SchemaSnapshot]:
    snapshot = _snapshot(url)
    plan = plan_sql(sql, snapshot=snapshot, settings=SETTINGS)
    assert [str(problem) for problem in check_plan(plan, snapshot)] == []
    return stamp(plan, snapshot), snapshot


def _index_state(conn: psycopg.Connection, index: str) -> tuple[bool, str] | None:
    """(valid, definition) of the index, or None when there is none."""
    row = conn.execute(
        "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indexrelid = to_regclass(%s)",
        (index,),
    ).fetchone()
    return (bool(row[0]), str(row[1])) if row else None


def test_the_plain_build_is_flagged_and_the_plan_builds_it_concurrently(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    sql = "CREATE INDEX posts_author_id_idx ON posts (author_id);"
    original = analyse_sql(sql, snapshot=introspect(conn))
    assert any(
        f.rule == "require-concurrent-index-creation" and f.severity is Severity.ERROR
        for f in original[0].findings
    )
    plan, _ = _planned(database_url, sql)
    [step] = plan.steps
    assert (step.id, step.phase, step.recipe) == ("s01-create-index", Phase.EXPAND, RECIPE)
    assert step.sql == ["CREATE INDEX CONCURRENTLY posts_author_id_idx ON posts (author_id)"]
    assert step.transactional is False and step.lock_duration is LockDuration.NONE
    drop = 'DROP INDEX CONCURRENTLY IF EXISTS "public"."posts_author_id_idx"'
    assert step.on_failure_sql == [drop] and step.rollback.sql == [drop]
    assert step.rollback.transactional is False

    before = _snapshot(database_url).fingerprint()
    log = tmp_path / "MIGRATION-LOG.md"
    result = apply_plan(plan, database_url, phases=[Phase.EXPAND], log_path=log)
    assert result.ok, result.message
    state = _index_state(conn, "public.posts_author_id_idx")
    assert state is not None and state[0], "the index is built and valid"

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.ok and undone.schema_restored, undone.message
    assert _index_state(conn, "public.posts_author_id_idx") is None
    assert _snapshot(database_url).fingerprint() == before


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("CREATE UNIQUE INDEX posts_title_key ON posts (title);", id="unique"),
        pytest.param(
            "CREATE INDEX posts_lower_title_idx ON posts (lower(title)) WHERE author_id > 50;",
            id="expression-and-predicate",
        ),
        pytest.param(
            "CREATE INDEX posts_author_title_idx ON public.posts USING btree (author_id DESC, title) "
            "INCLUDE (id);",
            id="qualified-ordered-include",
        ),
        pytest.param(
            "CREATE INDEX IF NOT EXISTS posts_title_hash_idx ON posts USING hash (title);",
            id="if-not-exists-hash",
        ),
    ],
)
def test_the_index_is_exactly_the_one_the_plain_statement_builds(
    sql: str, conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    plan, _ = _planned(database_url, sql)
    assert [step.recipe for step in plan.steps] == [RECIPE]
    result = apply_plan(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert result.ok and result.status is MigrationStatus.DONE, result.message
    with (
        scratch_database(admin_url, prefix="zdt_plain") as plain_url,
        psycopg.connect(plain_url, autocommit=True) as plain,
    ):
        plain.execute(SCHEMA)
        plain.execute(sql)
        assert _snapshot(database_url).fingerprint() == introspect(plain).fingerprint()


def _executor_locks_on_posts(conn: psycopg.Connection, wait_s: float = 10.0) -> list[str]:
    """The table locks the executor's sessions hold on posts, as soon as they hold any."""
    deadline = time.monotonic() + wait_s
    while True:
        rows = conn.execute(
            "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.relation = 'public.posts'::regclass AND l.granted "
            "AND a.application_name LIKE 'zdt-executor%'"
        ).fetchall()
        if rows or time.monotonic() > deadline:
            return [str(row[0]) for row in rows]
        time.sleep(0.02)


def test_writes_go_on_while_the_index_is_built(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """While the build waits for an open writing transaction, other sessions still insert and update:
    CONCURRENTLY's ShareUpdateExclusiveLock does not conflict with their RowExclusiveLock (a plain build
    waiting for its ShareLock would queue them all behind it)."""
    conn.execute(SCHEMA)
    plan, _ = _planned(database_url, "CREATE INDEX posts_author_id_idx ON posts (author_id);")
    outcome: list[ExecutionResult] = []
    patient = ExecutorSettings(lock_timeout_ms=10_000)  # wait for the open transaction without retrying
    build = threading.Thread(
        target=lambda: outcome.append(
            apply_plan(plan, database_url, settings=patient, log_path=tmp_path / "MIGRATION-LOG.md")
        )
    )
    with psycopg.connect(database_url) as open_writer:
        open_writer.execute("INSERT INTO posts (id, author_id, title) VALUES (20001, 7, 'open transaction')")
        build.start()
        held = _executor_locks_on_posts(conn)
        assert held == ["ShareUpdateExclusiveLock"], "the build waits for the open transaction, holding this"
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET lock_timeout = '100ms'")
            other.execute("INSERT INTO posts (id, author_id, title) VALUES (20002, 7, 'during the build')")
            other.execute("UPDATE posts SET title = 'during the build' WHERE id = 1")
        assert build.is_alive(), "those writes ran while the build was under way"
        open_writer.commit()
    build.join(timeout=60)
    assert not build.is_alive()
    [result] = outcome
    assert result.ok, result.message
    row = conn.execute("SELECT count(*) FROM posts WHERE author_id = 7").fetchone()
    assert row is not None and row[0] == ROWS // 100 + 2
    state = _index_state(conn, "public.posts_author_id_idx")
    assert state is not None and state[0]


def test_a_failed_build_leaves_no_invalid_index_behind(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    conn.execute("UPDATE posts SET title = 'duplicate' WHERE id IN (1, 2)")
    plan, _ = _planned(database_url, "CREATE UNIQUE INDEX posts_title_key ON posts (title);")
    before = _snapshot(database_url).fingerprint()
    result = apply_plan(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert result.status is MigrationStatus.FAILED and result.failed_step == "s01-create-index"
    assert "duplicate" in result.message or "unique" in result.message.lower(), result.message
    assert result.steps[-1].database_restored
    # A failed CREATE INDEX CONCURRENTLY leaves an INVALID index; the step's cleanup dropped it.
    assert _index_state(conn, "public.posts_title_key") is None
    assert _snapshot(database_url).fingerprint() == before


def test_an_index_on_a_table_the_plan_creates_is_built_plainly_in_its_transaction() -> None:
    plan = plan_sql(
        "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\nCREATE INDEX tags_name_idx ON tags (name);"
    )
    assert [(step.recipe, step.transactional) for step in plan.steps] == [
        ("pass-through", True),
        ("pass-through", True),
    ]
    assert plan.steps[1].sql == ["CREATE INDEX tags_name_idx ON tags (name)"]


def test_without_a_snapshot_an_index_is_assumed_live() -> None:
    [step] = plan_sql("CREATE INDEX posts_author_id_idx ON posts (author_id);").steps
    assert step.recipe == RECIPE and step.sql[0].startswith("CREATE INDEX CONCURRENTLY")


def test_an_unnamed_index_is_refused_with_its_line(conn: psycopg.Connection) -> None:
    conn.execute(SCHEMA)
    with pytest.raises(ValueError, match=r"line 2: give the index on public\.posts a name"):
        plan_sql(
            "COMMENT ON TABLE posts IS 'what people write';\nCREATE INDEX ON posts (author_id);",
            snapshot=introspect(conn),
        )
