"""The lock-queue guard: a step waiting for its lock must not make the application queue behind it.

A DDL statement that waits for AccessExclusiveLock sits in the lock queue, and every later SELECT and
INSERT on the table queues behind *it*, not just behind whoever holds the table. lock_timeout bounds how
long that lasts; the guard ends it as soon as it starts: while our statement waits on a lock, a watcher
on its own connection looks for application sessions whose blockers include us, and cancels our
statement at once. The step then counts as a lock timeout and is retried later with backoff.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psycopg

_QUEUED_BEHIND_US = """
SELECT
    (SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %(pid)s) AS we_wait,
    (SELECT count(*) FROM pg_stat_activity a
      WHERE a.pid <> %(pid)s AND %(pid)s = ANY (pg_blocking_pids(a.pid))) AS queued
"""


class LockQueueGuardTripped(Exception):
    """Our statement was cancelled because application sessions started queueing behind it."""


class LockQueueGuard:
    """Watches one backend while it runs a lock-taking statement; cancels it if it makes others queue."""

    def __init__(
        self, url: str, backend_pid: int, *, poll_s: float = 0.02, application_name: str = ""
    ) -> None:
        self.url = url
        self.backend_pid = backend_pid
        self.poll_s = poll_s
        self.application_name = application_name or "zdt-executor lock-queue guard"
        self.tripped = False
        self.queued = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LockQueueGuard:
        self._thread = threading.Thread(target=self._watch, name="zdt-lock-queue-guard", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.tripped and isinstance(exc, psycopg.errors.QueryCanceled):
            raise LockQueueGuardTripped(
                f"{self.queued} application session(s) queued behind our lock request: cancelled it, "
                "will retry"
            ) from exc

    def _watch(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True, application_name=self.application_name) as conn:
                while not self._stop.wait(self.poll_s):
                    row = conn.execute(_QUEUED_BEHIND_US, {"pid": self.backend_pid}).fetchone()
                    assert row is not None  # a SELECT without FROM returns one row
                    we_wait, queued = row
                    if we_wait and queued:
                        self.queued, self.tripped = int(queued), True
                        conn.execute("SELECT pg_cancel_backend(%s)", [self.backend_pid])
                        return
        except psycopg.Error:
            return  # the guard is a safety net: lock_timeout still bounds the wait if it cannot watch
