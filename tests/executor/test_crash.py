"""SIGKILL the executor (a real ``python -m zdt apply`` process) mid-backfill and mid-plan; run it again.

The backfill increments a counter, which is NOT idempotent: a batch applied twice leaves rows at 2, a
batch missed leaves rows at 0. Every row ending at exactly 1 proves each batch committed exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.executor.plans import (
    Recorder,
    add_column,
    create_index,
    increment,
    make_table,
    patient,
    plan_of,
    step_rows,
)
from zdt.executor import EventKind, apply_plan
from zdt.plan.model import MigrationPlan

ROWS = 20_000
BATCH = 400


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


def scalar(url: str, query: str) -> object:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def progress_batches(url: str) -> int:
    if not scalar(url, "SELECT to_regclass('zdt.backfill_progress') IS NOT NULL"):
        return 0
    return int(scalar(url, "SELECT coalesce(max(batches), 0) FROM zdt.backfill_progress"))  # type: ignore[arg-type]


def invalid_index_left(url: str) -> bool:
    query = "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass('public.other_payload')"
    return bool(scalar(url, query))


def executor_sessions(url: str) -> int:
    """Sessions of an executor still connected: a killed client's backends end a moment after it."""
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name LIKE 'zdt-executor%'"
    )
    return int(scalar(url, query))  # type: ignore[arg-type]


@contextmanager
def executor_process(plan: MigrationPlan, url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m zdt apply`` in its own process; killed and reaped whatever happens in the block."""
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.model_dump_json(indent=2))
    output = (tmp_path / "executor-output.txt").open("wb")
    command = [sys.executable, "-m", "zdt", "apply", str(plan_path), "--database-url", url, "--yes"]
    command += ["--out", str(tmp_path / "out")]
    env = {k: v for k, v in os.environ.items() if k != "ZDT_DATABASE_URL"}
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        output.close()


def sigkill(process: subprocess.Popen[bytes], url: str) -> None:
    assert process.poll() is None, "the executor finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    wait_until(lambda: executor_sessions(url) == 0, "the killed executor's sessions ended")


def test_killed_mid_backfill_resumes_without_applying_a_batch_twice_or_missing_one(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", ROWS)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
            increment("bump", "public.items", "n", batch_size=BATCH, pause_ms=40),
        ],
        pg_version=server_version,
    )
    with executor_process(plan, database_url, tmp_path) as process:
        wait_until(lambda: progress_batches(database_url) >= 5, "five batches committed")
        sigkill(process, database_url)
    killed_at = progress_batches(database_url)
    assert 5 <= killed_at < ROWS // BATCH, "the kill did not land in the middle of the backfill"
    assert step_rows(database_url) == {"add-n": ("done", 1), "bump": ("running", 1)}
    done_before = scalar(database_url, "SELECT count(*) FROM items WHERE n = 1")
    assert done_before == scalar(database_url, "SELECT rows_done FROM zdt.backfill_progress")

    recorder = Recorder()
    log_path = tmp_path / "out" / "MIGRATION-LOG.md"
    result = apply_plan(plan, database_url, on_event=recorder, log_path=log_path)

    assert result.ok, result.message
    with psycopg.connect(database_url) as check:
        assert check.execute("SELECT n, count(*) FROM items GROUP BY n").fetchall() == [(1, ROWS)]
    [started] = recorder.of(EventKind.BACKFILL_STARTED)
    assert started.message == f"resuming after {done_before} rows"
    assert scalar(database_url, "SELECT rows_done FROM zdt.backfill_progress") == ROWS
    assert step_rows(database_url) == {"add-n": ("done", 1), "bump": ("done", 2)}
    assert "| resume |" in log_path.read_text()


def test_killed_between_steps_resumes_at_the_interrupted_step_and_cleans_up_after_it(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", 2_000)
    make_table(conn, "other", 100)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
            create_index("index-payload", "public.other", "other_payload", "payload", timeouts=patient()),
            increment("bump", "public.items", "n", batch_size=500),
        ],
        pg_version=server_version,
    )
    # An open write transaction on `other`: CREATE INDEX CONCURRENTLY waits for it and times out, leaving
    # an INVALID index that the executor's cleanup (DROP INDEX CONCURRENTLY) cannot drop while the
    # transaction lasts either. We kill the executor in that state: the resumed run must clean up.
    blocker = psycopg.connect(database_url)
    try:
        blocker.execute("INSERT INTO other (id) VALUES (-1)")
        with executor_process(plan, database_url, tmp_path) as process:
            wait_until(lambda: invalid_index_left(database_url), "a failed build left an INVALID index")
            sigkill(process, database_url)
        assert step_rows(database_url) == {
            "add-n": ("done", 1),
            "index-payload": ("running", step_rows(database_url)["index-payload"][1]),
            "bump": ("pending", 0),
        }
    finally:
        blocker.rollback()
        blocker.close()

    recorder = Recorder()
    result = apply_plan(plan, database_url, on_event=recorder, log_path=tmp_path / "out" / "MIGRATION-LOG.md")

    assert result.ok, result.message
    assert [s.action for s in result.steps] == ["skip", "apply", "apply"]
    assert EventKind.STEP_RESUMED in recorder.kinds("index-payload")
    assert EventKind.CLEANUP in recorder.kinds("index-payload")  # the INVALID leftover was dropped first
    with psycopg.connect(database_url) as check:
        indexes = check.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'other'::regclass AND NOT i.indisprimary"
        ).fetchall()
        assert indexes == [("other_payload", True)]
        assert check.execute("SELECT n, count(*) FROM items GROUP BY n").fetchall() == [(1, 2_000)]
    assert {status for status, _ in step_rows(database_url).values()} == {"done"}
