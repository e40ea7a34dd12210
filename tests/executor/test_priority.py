"""The executor's work backend runs at a lower CPU priority when the server is a process on this host."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import add_column, make_table, plan_of
from zdt.executor import ExecutorSettings, apply_plan
from zdt.executor.priority import is_local_host, local_backend_pid, lower_backend_priority

WORK_BACKEND = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE application_name = 'zdt-executor work' AND datname = current_database()"
)


def _may_renice(pid: int) -> bool:
    """Raising another process's nice value needs the same user, or root (CAP_SYS_NICE)."""
    return os.geteuid() == 0 or os.stat(f"/proc/{pid}").st_uid == os.geteuid()


def _own_backend_nice(conn: psycopg.Connection) -> int:
    """The nice value of the test's own backend: what the server gives every backend it starts."""
    return os.getpriority(os.PRIO_PROCESS, conn.info.backend_pid)


def _nice_of_work_backend_during(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path, nice: int | None
) -> tuple[int, int]:
    """Apply a one-step plan and read the work backend's (pid, nice) from the throttle hook, mid-run."""
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    seen: list[tuple[int, int]] = []

    def observe() -> float:
        row = conn.execute(WORK_BACKEND).fetchone()
        assert row is not None, "the executor's work session is not in pg_stat_activity"
        seen.append((row[0], os.getpriority(os.PRIO_PROCESS, row[0])))
        return 0.0

    result = apply_plan(
        plan, database_url, settings=ExecutorSettings(backend_nice=nice), throttle=observe, log_path=log_path
    )
    assert result.ok, result.message
    assert seen, "the throttle hook was never consulted"
    return seen[0]


def test_the_work_backend_yields_the_cpu_and_the_log_says_so(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    server_nice = _own_backend_nice(conn)
    assert server_nice < 10, "the server already runs at nice 10 or more: nothing to show"
    pid, nice = _nice_of_work_backend_during(conn, database_url, server_version, log_path, nice=10)
    log = log_path.read_text()
    if _may_renice(pid):
        assert nice == 10
        assert f"CPU priority: backend {pid} runs at nice 10" in log
    else:
        assert nice == server_nice
        assert "CPU priority unchanged: the OS refused" in log
    assert _own_backend_nice(conn) == server_nice  # only zdt's own backend


def test_backend_nice_none_leaves_the_priority_alone(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    server_nice = _own_backend_nice(conn)
    _, nice = _nice_of_work_backend_during(conn, database_url, server_version, log_path, nice=None)
    assert nice == server_nice
    assert "CPU priority: left as the server set it." in log_path.read_text()


def test_only_this_connections_own_backend_is_recognised(conn: psycopg.Connection) -> None:
    pid, reason = local_backend_pid(conn)
    assert pid == conn.info.backend_pid, reason
    with psycopg.connect(conn.info.dsn, dbname="postgres", autocommit=True) as other:

        class MismatchedInfo:
            """A local backend pid whose process serves another database than the connection claims."""

            backend_pid = other.info.backend_pid
            host = conn.info.host
            dbname = conn.info.dbname

        class MismatchedConnection:
            info = MismatchedInfo()

        assert conn.info.dbname != "postgres"
        pid, reason = local_backend_pid(MismatchedConnection())  # type: ignore[arg-type]
        assert pid is None
        assert "is not this connection's backend" in reason


def test_a_server_on_another_host_is_never_reniced(conn: psycopg.Connection) -> None:
    """A remote server's backend pid may exist here as an unrelated process: it must be left alone."""

    class RemoteInfo:
        backend_pid = os.getpid()  # a live local process that is not a backend
        host = "db.example.internal"
        dbname = conn.info.dbname

    class RemoteConnection:
        info = RemoteInfo()

    before = os.getpriority(os.PRIO_PROCESS, os.getpid())
    outcome = lower_backend_priority(RemoteConnection(), before + 5)  # type: ignore[arg-type]
    assert not outcome.applied
    assert "not on this host" in outcome.reason
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) == before


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "/tmp/socket-dir"])
def test_loopback_and_sockets_count_as_this_host(host: str) -> None:
    assert is_local_host(host)
    assert not is_local_host("10.0.0.5")


@pytest.mark.parametrize("nice", [0, -5, 20])
def test_a_nice_value_outside_1_to_19_is_refused_when_the_settings_are_made(nice: int) -> None:
    with pytest.raises(ValueError, match="backend_nice must be between 1 and 19"):
        ExecutorSettings(backend_nice=nice)
