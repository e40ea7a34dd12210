"""refresh-materialized-view: CONCURRENTLY (ExclusiveLock: reads go on) is planned when the view has a
unique index on plain columns, refused without one; a plain REFRESH of a populated live view is refused
naming the reads it blocks and the CONCURRENTLY alternative; a plain REFRESH of a view nobody can read
(created by the plan, or not populated) is planned. Readers are really not blocked by CONCURRENTLY."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

COUNTS = "CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS n FROM posts GROUP BY 1"


def _planning_error(url: str, sql: str) -> str:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    with pytest.raises(PlanningError) as error:
        plan_sql(sql, snapshot=snapshot)
    return str(error.value)


def test_concurrently_is_migrate_under_exclusive_lock_and_lets_reads_go_on(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(COUNTS)
    conn.execute("CREATE UNIQUE INDEX post_counts_author ON post_counts (author_id)")
    conn.execute("INSERT INTO posts (id, author_id) VALUES (100001, 1)")
    planned = plan_against(database_url, "REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.MIGRATE and step.lock is LockMode.EXCLUSIVE
    assert step.rollback.not_needed and "readers go on" in step.description

    with psycopg.connect(database_url) as reader:
        # a reader in the middle of a transaction holds AccessShareLock on the view throughout the
        # refresh: ExclusiveLock does not wait for it (a plain REFRESH would, and time out)
        reader.execute("SELECT n FROM post_counts WHERE author_id = 1").fetchone()
        execute(database_url, planned.plan, log_dir=tmp_path)
        reader.rollback()
    assert scalar(database_url, "SELECT n FROM post_counts WHERE author_id = 1") == 121
    undo(database_url, planned.plan, log_dir=tmp_path)


def test_plain_refresh_of_a_live_view_is_refused_with_the_alternative(
    conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    conn.execute(COUNTS)
    message = _planning_error(database_url, "\nREFRESH MATERIALIZED VIEW post_counts;")
    assert message.startswith(
        "line 2: REFRESH MATERIALIZED VIEW public.post_counts takes AccessExclusiveLock"
    )
    assert "every read of the view waits" in message
    assert "CREATE UNIQUE INDEX CONCURRENTLY" in message  # it has no unique index yet
    assert "REFRESH MATERIALIZED VIEW CONCURRENTLY public.post_counts" in message
    conn.execute("CREATE UNIQUE INDEX post_counts_author ON post_counts (author_id)")
    message = _planning_error(database_url, "REFRESH MATERIALIZED VIEW post_counts;")
    assert "CREATE UNIQUE INDEX" not in message and "write REFRESH MATERIALIZED VIEW CONCURRENTLY" in message


@pytest.mark.parametrize(
    "index",
    [
        "CREATE INDEX post_counts_author ON post_counts (author_id)",  # not unique
        "CREATE UNIQUE INDEX post_counts_author ON post_counts (author_id) WHERE n > 1",  # partial
        "CREATE UNIQUE INDEX post_counts_author ON post_counts ((author_id + 0))",  # an expression
    ],
)
def test_concurrently_without_a_usable_unique_index_is_refused(
    conn: psycopg.Connection, database_url: str, index: str
) -> None:
    create_posts(conn)
    conn.execute(COUNTS)
    conn.execute(index)
    message = _planning_error(database_url, "REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts;")
    assert "no unique index on plain columns" in message and "create one first" in message


def test_plain_refresh_of_a_view_nobody_can_read_is_planned(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(
        database_url,
        "CREATE MATERIALIZED VIEW author_ids AS SELECT DISTINCT author_id FROM posts WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW author_ids;",
    )
    create, refresh = planned.plan.steps
    assert (create.phase, refresh.phase, refresh.id) == (
        Phase.EXPAND,
        Phase.EXPAND,
        "s02-refresh-materialized-view",
    )
    assert refresh.lock is LockMode.ACCESS_EXCLUSIVE and "this plan creates it" in refresh.description
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM author_ids") == 100
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regclass('author_ids') IS NULL") is True


def test_concurrently_of_a_view_not_populated_is_refused(conn: psycopg.Connection, database_url: str) -> None:
    create_posts(conn)
    conn.execute(COUNTS + " WITH NO DATA")
    conn.execute("CREATE UNIQUE INDEX post_counts_author ON post_counts (author_id)")
    message = _planning_error(database_url, "REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts;")
    assert "not populated" in message and "plain REFRESH MATERIALIZED VIEW blocks nobody" in message
