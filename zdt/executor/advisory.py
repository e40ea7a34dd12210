"""One executor per database: a session-level advisory lock held on a dedicated connection.

Session level (not transaction level) because the executor commits many transactions; a dedicated
connection because a crash of the work connection must not release it early, and because the lock must
die with the process: when an executor is killed, its backend ends and the lock goes with it.
"""

from __future__ import annotations

from types import TracebackType

import psycopg

from zdt.db.urls import redact
from zdt.executor.errors import ExecutorBusy
from zdt.executor.session import connect
from zdt.executor.settings import ExecutorSettings

LOCK_KEY = 0x7A_64_74_00  # "zdt\0": one key per database (advisory locks are scoped to a database)

_HOLDER = """
SELECT l.pid, a.application_name, a.backend_start
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1
"""


def lock_holder(conn: psycopg.Connection) -> tuple[int, str, object] | None:
    """(pid, application_name, backend_start) of the session holding the executor lock, if any."""
    row = conn.execute(_HOLDER, [LOCK_KEY]).fetchone()
    return (int(row[0]), str(row[1] or ""), row[2]) if row else None


class ExecutorLock:
    """Hold the executor lock for the duration of a ``with`` block, or raise ExecutorBusy at once."""

    def __init__(self, url: str, settings: ExecutorSettings) -> None:
        self._url = url
        self._settings = settings
        self._conn: psycopg.Connection | None = None

    def __enter__(self) -> ExecutorLock:
        conn = connect(self._url, self._settings, "lock")
        acquired = conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
        if not acquired or not acquired[0]:
            holder = lock_holder(conn)
            conn.close()
            who = f" (backend pid {holder[0]}, {holder[1] or 'no application name'})" if holder else ""
            raise ExecutorBusy(
                f"another zdt executor is migrating {redact(self._url)}{who}; "
                "wait for it to finish, or check `zdt status`"
            )
        self._conn = conn
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        except psycopg.Error:
            pass  # closing the session releases it anyway
        finally:
            conn.close()
