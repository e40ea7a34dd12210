"""Every statement the executor sends, told to an observer: the SQL, how long it took, rows, outcome.

Why at the cursor: the executor sends SQL from many places (steps, backfill batches, verifications,
its own bookkeeping, rollbacks); a cursor class set on each of its connections (``connect`` in
session.py) sees all of them without a hook in each. Only with ``ExecutorSettings.on_statement`` set; the
observer is called after the statement, failed ones included (then the error is re-raised unchanged).

The lock wait is known only when the lock was not granted (``lock_timeout``, SQLSTATE 55P03): the whole
duration was spent waiting. A statement that got its lock does not say how long it waited for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel

LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"


class StatementRecord(BaseModel):
    role: str  # the connection's role: work, lock, rollback, status
    sql: str
    params: list[str] | None = None
    duration_ms: float
    rows: int | None = None
    outcome: str = "ok"  # ok | lock_timeout | canceled | error
    sqlstate: str | None = None
    error: str | None = None
    lock_wait_ms: float | None = None


StatementObserver = Callable[[StatementRecord], None]


def _text(query: Any, conn: psycopg.Connection[Any]) -> str:
    if isinstance(query, sql.Composable):
        try:
            return query.as_string(conn)
        except Exception:  # a composition that cannot be rendered here: its repr says what it was
            return repr(query)
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    return str(query)


def _outcome(error: psycopg.Error) -> str:
    return {LOCK_NOT_AVAILABLE: "lock_timeout", QUERY_CANCELED: "canceled"}.get(error.sqlstate or "", "error")


def recording_cursor(observer: StatementObserver, role: str) -> type[psycopg.Cursor[Any]]:
    """A cursor class that reports every ``execute`` to ``observer``."""

    class RecordingCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            started = time.perf_counter()
            text = _text(query, self.connection)
            shown = [str(value) for value in params] if isinstance(params, list | tuple) else None
            try:
                result = super().execute(query, params, **options)
            except psycopg.Error as error:
                elapsed = (time.perf_counter() - started) * 1000
                outcome = _outcome(error)
                observer(
                    StatementRecord(
                        role=role,
                        sql=text,
                        params=shown,
                        duration_ms=elapsed,
                        outcome=outcome,
                        sqlstate=error.sqlstate,
                        error=str(error).splitlines()[0] if str(error) else type(error).__name__,
                        lock_wait_ms=elapsed if outcome == "lock_timeout" else None,
                    )
                )
                raise
            observer(
                StatementRecord(
                    role=role,
                    sql=text,
                    params=shown,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    rows=self.rowcount if self.rowcount >= 0 else None,
                )
            )
            return result

    return RecordingCursor
