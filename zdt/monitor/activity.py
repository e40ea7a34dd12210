"""Read who is connected, who waits on a lock and on whom, from pg_stat_activity and pg_locks.

Kept to cheap statements because they run several times a second during a migration:
``pg_blocking_pids`` and the ``pg_locks`` lookup take the lock manager's partition locks, so they are
evaluated only for sessions already known to wait on a lock (the WHERE clause filters first). Sessions of
other databases count towards ``max_connections`` but are otherwise ignored: their locks cannot block ours.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from zdt.monitor.models import LockWait, SessionInfo

QUERY_CHARS = 200

_COUNTS = """
SELECT count(*) FILTER (WHERE backend_type = 'client backend') AS connections,
       count(*) FILTER (WHERE backend_type = 'client backend' AND datname = current_database())
           AS database_connections,
       count(*) FILTER (WHERE mine AND state = 'active') AS active_sessions,
       count(*) FILTER (WHERE mine AND state LIKE 'idle in transaction%') AS idle_in_transaction,
       coalesce(max(extract(epoch FROM clock_timestamp() - state_change))
                FILTER (WHERE mine AND state LIKE 'idle in transaction%'), 0)::float8
           AS longest_idle_in_transaction_s,
       coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)) FILTER (WHERE mine), 0)::float8
           AS longest_transaction_s
FROM (SELECT a.*, (a.datname = current_database() AND a.pid <> pg_backend_pid()
                   AND a.backend_type = 'client backend') AS mine
      FROM pg_stat_activity a) AS activity
"""

# pg_locks.waitstart exists from PostgreSQL 14; before that the statement's start is the best estimate.
_WAIT_START_14 = "(SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted)"

_LOCK_WAITS = """
SELECT a.pid, pg_blocking_pids(a.pid) AS blocked_by, a.wait_event, a.application_name,
       left(a.query, {chars}) AS query,
       greatest(extract(epoch FROM clock_timestamp() - coalesce({wait_start}, a.query_start)), 0)::float8
           AS wait_s
FROM pg_stat_activity a
WHERE a.wait_event_type = 'Lock' AND a.datname = current_database() AND a.pid <> pg_backend_pid()
ORDER BY wait_s DESC
"""

_SESSIONS = f"""
SELECT pid, state, application_name, left(query, {QUERY_CHARS}) AS query,
       extract(epoch FROM clock_timestamp() - xact_start)::float8 AS transaction_s
FROM pg_stat_activity WHERE pid = ANY(%s) ORDER BY pid
"""


def lock_waits_query(server_version_num: int) -> str:
    wait_start = _WAIT_START_14 if server_version_num >= 140000 else "NULL::timestamptz"
    return _LOCK_WAITS.format(chars=QUERY_CHARS, wait_start=wait_start)


def read_counts(conn: psycopg.Connection) -> dict[str, Any]:
    """Connections, active and idle-in-transaction sessions, oldest transaction: MetricSample fields."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(_COUNTS).fetchone()
    return dict(row) if row else {}


def read_lock_waits(conn: psycopg.Connection, query: str) -> list[LockWait]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query).fetchall()
    return [
        LockWait(
            pid=row["pid"],
            blocked_by=list(row["blocked_by"] or []),
            wait_s=row["wait_s"] or 0.0,
            wait_event=row["wait_event"],
            application_name=row["application_name"] or "",
            query=row["query"] or "",
        )
        for row in rows
    ]


def read_sessions(conn: psycopg.Connection, pids: list[int]) -> list[SessionInfo]:
    """Describe the blockers, so a report can say what the waiters queue behind."""
    if not pids:
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SESSIONS, (pids,)).fetchall()
    return [
        SessionInfo(
            pid=row["pid"],
            state=row["state"],
            application_name=row["application_name"] or "",
            transaction_s=row["transaction_s"],
            query=row["query"] or "",
        )
        for row in rows
    ]


def read_max_connections(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT current_setting('max_connections')::int").fetchone()
    return int(row[0]) if row else 0
