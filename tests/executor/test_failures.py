"""Bad outcomes: a failed verification stops the run with the database as before the step; an edited
plan is refused; a second executor on the same database is refused.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import (
    Recorder,
    add_column,
    column_exists_sql,
    create_index,
    fingerprint,
    make_table,
    plan_of,
    step_rows,
)
from zdt.executor import (
    EventKind,
    ExecutionEvent,
    ExecutorBusy,
    ExecutorSettings,
    MigrationStatus,
    apply_plan,
    rollback_migration,
)
from zdt.plan.check import PlanTampered
from zdt.plan.model import Timeouts, Verification


class FingerprintAtStart(Recorder):
    """Records the schema fingerprint at the moment each step starts: 'the database before that step'."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.before: dict[str, str] = {}

    def __call__(self, event: ExecutionEvent) -> None:
        super().__call__(event)
        if event.kind is EventKind.STEP_STARTED and event.step_id:
            self.before[event.step_id] = fingerprint(self.url)


def test_a_failed_verification_rolls_a_transactional_step_back_and_stops_the_run(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 100)
    wrong = add_column("add-b", "public.items", "b").model_copy(
        update={"verify": Verification(sql=column_exists_sql("public.items", "b"), expect=False)}
    )
    plan = plan_of(
        [add_column("add-a", "public.items", "a"), wrong, add_column("add-c", "public.items", "c")],
        pg_version=server_version,
    )
    observer = FingerprintAtStart(database_url)
    result = apply_plan(plan, database_url, on_event=observer, log_path=log_path)

    assert not result.ok and result.status is MigrationStatus.FAILED
    assert result.failed_step == "add-b"
    assert "step add-b failed" in result.message and "as before this step" in result.message
    assert fingerprint(database_url) == observer.before["add-b"]
    assert step_rows(database_url) == {"add-a": ("done", 1), "add-b": ("failed", 1), "add-c": ("pending", 0)}
    assert "add-c" not in {event.step_id for event in observer.events}  # never started
    assert "FAILED: verification failed" in log_path.read_text()


def test_a_failed_verification_of_a_concurrent_index_drops_the_index_it_built(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 100)
    step = create_index("index-payload", "public.items", "items_payload", "payload")
    step = step.model_copy(update={"verify": step.verify.model_copy(update={"expect": False})})
    before = fingerprint(database_url)
    recorder = Recorder()
    plan = plan_of([step], pg_version=server_version)
    result = apply_plan(plan, database_url, on_event=recorder, log_path=log_path)

    assert result.failed_step == "index-payload" and result.steps[0].database_restored
    assert EventKind.CLEANUP in recorder.kinds("index-payload")
    assert fingerprint(database_url) == before


def test_a_unique_index_that_fails_to_build_leaves_no_invalid_index_behind(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 100)  # every payload is 'x': a unique index cannot be built
    step = create_index("unique-payload", "public.items", "items_payload", "payload")
    step = step.model_copy(
        update={"sql": ["CREATE UNIQUE INDEX CONCURRENTLY items_payload ON public.items (payload)"]}
    )
    before = fingerprint(database_url)
    result = apply_plan(plan_of([step], pg_version=server_version), database_url, log_path=log_path)

    assert result.failed_step == "unique-payload"
    assert "UniqueViolation" in result.message
    assert fingerprint(database_url) == before  # the INVALID index the failed build left was dropped


def test_a_plan_edited_after_its_check_is_refused_before_anything_runs(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    edited_step = plan.steps[0].model_copy(update={"sql": ["ALTER TABLE public.items ADD COLUMN n bigint"]})
    edited = plan.model_copy(update={"steps": [edited_step]})

    with pytest.raises(PlanTampered, match="changed after it was checked"):
        apply_plan(edited, database_url, log_path=log_path)
    with pytest.raises(PlanTampered):
        rollback_migration(edited, database_url, log_path=log_path)
    assert conn.execute("SELECT to_regnamespace('zdt') IS NULL").fetchone() == (True,)
    assert not log_path.exists()


def test_a_second_executor_on_the_same_database_is_refused(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    inside, release = threading.Event(), threading.Event()

    def hold() -> float:  # the throttle hook: keeps the first executor busy until the test is done
        inside.set()
        release.wait(timeout=30)
        return 0.0

    outcome: list[object] = []
    first = threading.Thread(
        target=lambda: outcome.append(apply_plan(plan, database_url, throttle=hold, log_path=log_path))
    )
    first.start()
    try:
        assert inside.wait(timeout=30)
        with pytest.raises(ExecutorBusy, match="another zdt executor is migrating"):
            apply_plan(plan, database_url, log_path=log_path)
        with pytest.raises(ExecutorBusy):
            rollback_migration(plan, database_url, log_path=log_path)
    finally:
        release.set()
        first.join(timeout=30)
    [result] = outcome
    assert result.ok  # type: ignore[attr-defined]
    assert step_rows(database_url) == {"add-n": ("done", 1)}


def test_a_cleanup_that_cannot_run_is_reported_and_the_next_run_cleans_up_first(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 100)
    step = create_index(
        "index-payload",
        "public.items",
        "items_payload",
        "payload",
        timeouts=Timeouts(lock_timeout_ms=50, max_lock_retries=1),
    )
    plan = plan_of([step], pg_version=server_version)
    fast = ExecutorSettings(backoff_base_ms=10)
    blocker = psycopg.connect(database_url)  # blocks the index build AND the DROP INDEX CONCURRENTLY after it
    try:
        blocker.execute("INSERT INTO items (id) VALUES (-1)")
        failed = apply_plan(plan, database_url, settings=fast, log_path=log_path)
    finally:
        blocker.rollback()
        blocker.close()

    assert failed.failed_step == "index-payload" and not failed.steps[0].database_restored
    assert "NOT as before this step" in failed.message
    assert "NOT as before this step" in log_path.read_text()
    recorder = Recorder()
    again = apply_plan(plan, database_url, settings=fast, on_event=recorder, log_path=log_path)
    assert again.ok, again.message
    assert recorder.kinds("index-payload")[:2] == [EventKind.CLEANUP, EventKind.STEP_RESUMED]
    assert conn.execute(
        "SELECT count(*) FROM pg_index WHERE indrelid = 'items'::regclass AND NOT indisprimary AND indisvalid"
    ).fetchone() == (1,)
