"""The lock-queue guard: application sessions never queue behind a step that is still waiting for its lock.

Why: with only lock_timeout, a SELECT that arrives while our ALTER waits behind a long transaction waits
for the whole lock_timeout (here 5 s). The guard cancels our request as soon as someone queues behind
it, so the SELECT waits only for the guard's reaction; the step is retried and succeeds later.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

from zdt.executor import ExecutorSettings, apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase, Rollback, Step, Timeouts, Verification

LONG_LOCK_TIMEOUT_MS = 5_000


def _plan() -> MigrationPlan:
    step = Step(
        id="add-flag",
        phase=Phase.EXPAND,
        description="add a column",
        sql=["ALTER TABLE posts ADD COLUMN flag boolean"],
        verify=Verification(
            sql="SELECT count(*) = 1 FROM pg_attribute "
            "WHERE attrelid = 'posts'::regclass AND attname = 'flag'"
        ),
        rollback=Rollback(sql=["ALTER TABLE posts DROP COLUMN IF EXISTS flag"]),
        timeouts=Timeouts(lock_timeout_ms=LONG_LOCK_TIMEOUT_MS, max_lock_retries=20),
    )
    return stamp(MigrationPlan(id="m-guard", source="--", pg_version=18, steps=[step]))


def _reader_wait(url: str, started: threading.Event, waited: list[float]) -> None:
    started.wait(5)
    time.sleep(0.3)  # our ALTER is in the lock queue by now
    with psycopg.connect(url, autocommit=True) as reader:
        begin = time.perf_counter()
        reader.execute("SELECT count(*) FROM posts")
        waited.append(time.perf_counter() - begin)


def _run(url: str, tmp_path: Path, guard: bool) -> tuple[list[float], bool]:
    started, waited = threading.Event(), []
    with psycopg.connect(url) as blocker:
        blocker.execute("SELECT count(*) FROM posts")  # an open transaction holding posts
        reader = threading.Thread(target=_reader_wait, args=(url, started, waited))
        reader.start()
        release = threading.Timer(1.5, blocker.rollback)
        release.start()
        started.set()
        result = apply_plan(
            _plan(),
            url,
            settings=ExecutorSettings(lock_queue_guard=guard, backoff_base_ms=50, backoff_cap_ms=200),
            log_path=tmp_path / "log.md",
        )
        reader.join(10)
        release.join(5)
    return waited, result.ok


def test_guard_cancels_the_waiting_step_instead_of_queueing_the_application(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY)")
    conn.execute("INSERT INTO posts SELECT generate_series(1, 100)")
    waited, ok = _run(database_url, tmp_path, guard=True)
    assert ok, "the step is retried and succeeds once the blocker is gone"
    assert waited and waited[0] < 0.5, f"the reader waited {waited[0]:.2f} s behind our lock request"


def test_without_the_guard_the_application_queues_behind_the_step(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY)")
    waited, ok = _run(database_url, tmp_path, guard=False)
    assert ok
    assert waited and waited[0] > 0.8, "the hazard the guard exists for is real on this server"
