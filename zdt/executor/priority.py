"""Run the migration's own server backend at a lower CPU priority when the server shares this host.

A backfill batch, a ``CREATE INDEX CONCURRENTLY`` or a ``VALIDATE CONSTRAINT`` is one busy backend: on a
small server it takes a whole core that the application's backends then wait for, and their latency
doubles although no lock is involved (measured here: p99 2-5x baseline during CONCURRENTLY index builds on
2 cores). A single statement cannot be paused between batches, but its backend is an ordinary OS process:
with a higher nice value the kernel runs it only when the application's backends leave a core free, so
the migration uses the spare CPU and yields the rest. DBAs do this by hand (``renice`` on the backend's
pid); zdt does it for its own backend only, and only when that process is visibly the server's backend on
this machine (the embedded staging server, or a production server zdt runs beside). Elsewhere nothing
changes and the outcome says why.

Lowering one's own process's priority needs no privilege when the server runs as the same user; the
priority is never raised back (that would need one), so the executor's work connection keeps it until
it closes, which ends the backend.

Opt-in (``ExecutorSettings.backend_nice``, default None), because the benchmark's single rounds were
mixed: backfills ran faster and the application's median stayed at baseline, but a niced backend that
is descheduled while it holds a buffer or relation-extension lock (a backfill writes its new row
versions into the same last pages the application inserts into) makes those inserts wait — p99 sometimes
better, sometimes worse than without. A backend waiting on a *heavyweight* lock the migration holds
sleeps and frees the CPU, so that kind of inversion stays small; the LWLock kind does not.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg

MAX_NICE = 19


@dataclass(frozen=True)
class PriorityOutcome:
    """What happened to the backend's priority, for the migration log."""

    applied: bool
    pid: int
    nice: int | None
    reason: str


def is_local_host(host: str) -> bool:
    if not host or host.startswith("/") or host == "localhost":
        return True  # a Unix socket (psycopg reports its directory) or the loopback name
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _backend_title(pid: int) -> str | None:
    """The process title PostgreSQL sets for a backend (``postgres: user db [local] idle``), if visible."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def local_backend_pid(conn: psycopg.Connection) -> tuple[int | None, str]:
    """The pid of this connection's backend if it is a process on this machine, else (None, why not).

    The server's pid alone proves nothing (a remote server's pid may exist here as something else), so
    the connection must go to this host and the process's title must be a backend of this database.
    """
    pid = conn.info.backend_pid
    if not is_local_host(conn.info.host):
        return None, f"the server ({conn.info.host}) is not on this host"
    title = _backend_title(pid)
    if title is None:
        return None, f"backend process {pid} is not visible from this host"
    if not title.startswith("postgres:") or f" {conn.info.dbname} " not in f"{title} ":
        return None, f"process {pid} is not this connection's backend ({title[:60]!r})"
    return pid, "local backend"


def lower_backend_priority(conn: psycopg.Connection, nice: int) -> PriorityOutcome:
    """Raise the nice value of this connection's backend to ``nice`` (never lowers it); never raises.

    ``nice`` is within 1..MAX_NICE: ExecutorSettings refuses anything else when it is made.
    """
    pid, reason = local_backend_pid(conn)
    if pid is None:
        return PriorityOutcome(False, conn.info.backend_pid, None, reason)
    try:
        current = os.getpriority(os.PRIO_PROCESS, pid)
        if current >= nice:
            return PriorityOutcome(False, pid, current, f"already at nice {current}")
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError as error:
        return PriorityOutcome(False, pid, None, f"the OS refused: {error.strerror or error}")
    return PriorityOutcome(True, pid, nice, f"backend {pid} runs at nice {nice}")


def lower_for_migration(conn: psycopg.Connection, nice: int | None) -> str:
    """Apply ``ExecutorSettings.backend_nice`` to the work connection; one sentence for the migration log."""
    if nice is None:
        return "CPU priority: left as the server set it."
    outcome = lower_backend_priority(conn, nice)
    if outcome.applied:
        return f"CPU priority: {outcome.reason}, so the application's backends run first."
    return f"CPU priority unchanged: {outcome.reason}."
