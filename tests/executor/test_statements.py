"""The executor's statement observer: every statement with its duration, rows and outcome; a lock not
granted is told as a lock timeout with the time spent waiting."""

from __future__ import annotations

import psycopg
import pytest

from zdt.executor import ExecutorSettings
from zdt.executor.session import connect
from zdt.executor.statements import StatementRecord


def test_statements_are_told_with_rows_and_a_lock_timeout_with_its_wait(database_url: str) -> None:
    seen: list[StatementRecord] = []
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5)")
    settings = ExecutorSettings(on_statement=seen.append, parallel_maintenance_workers=None)
    with connect(database_url, settings, "work") as conn, psycopg.connect(database_url) as holder:
        conn.execute("UPDATE t SET id = id + 1 WHERE id > %s", [2])
        holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # held until holder's transaction ends
        conn.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            conn.execute("ALTER TABLE t ADD COLUMN x int")

    update, _, alter = seen
    assert (update.role, update.rows, update.outcome, update.params) == ("work", 3, "ok", ["2"])
    assert update.sql == "UPDATE t SET id = id + 1 WHERE id > %s"
    assert alter.outcome == "lock_timeout" and alter.sqlstate == "55P03"
    assert alter.lock_wait_ms is not None and alter.lock_wait_ms >= 90
    assert alter.error and "lock timeout" in alter.error


def test_without_an_observer_the_connection_keeps_psycopg_cursors(database_url: str) -> None:
    with connect(database_url, ExecutorSettings(), "work") as conn:
        assert conn.cursor_factory is psycopg.Cursor
