"""The monitor's critical verdict during production stops the run, and the graph rolls back.

Why end to end: each piece is tested on its own (the sampler sees the burst, the judge says critical, the
throttle raises), but the promise to the operator is the chain — errors in the application while the
backfill runs, a critical verdict that lasts, the executor stopped between two batches, every step undone,
and the schema exactly as before the migration (same fingerprint). The burst is real: another session's
transactions on the migrated table fail (division by zero), which the monitor reads from
pg_stat_database as a rollback rate far above its pre-migration baseline.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import psycopg

from tests.graph.conftest import Harness, create_schema, fingerprint
from zdt.executor import ExecutorSettings, migration_status
from zdt.graph.context import SessionSettings
from zdt.rehearsal.traffic import TrafficSettings

SQL = "ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"
# Small fixed batches with pauses: the backfill lasts long enough (tens of seconds) to be stopped.
SLOW_BACKFILL = ExecutorSettings(batch_size=100, batch_pause_ms=100, adapt_factor=1)


class ErrorBurst:
    """Once the backfill has started on the target, fail a transaction on ``users`` every few ms."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _backfill_started(self, conn: psycopg.Connection) -> bool:
        if conn.execute("SELECT to_regclass('zdt.backfill_progress')").fetchone() == (None,):
            return False
        row = conn.execute("SELECT coalesce(max(rows_done), 0) FROM zdt.backfill_progress").fetchone()
        return row is not None and row[0] > 0

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True, application_name="app") as conn:
            while not self.stop.is_set() and not self._backfill_started(conn):
                time.sleep(0.05)
            deadline = time.monotonic() + 30
            while not self.stop.is_set() and time.monotonic() < deadline:
                try:
                    conn.execute("SELECT 1 / (reputation - reputation) FROM users WHERE id = 1")
                except psycopg.errors.DivisionByZero:
                    self.failed += 1
                time.sleep(0.005)


def test_an_error_burst_during_the_backfill_rolls_the_migration_back(
    database_url: str, staging_url: str, tmp_path: Path
) -> None:
    create_schema(database_url, rows=20_000)
    before = fingerprint(database_url)
    harness = Harness(database_url, staging_url, tmp_path)
    settings = SessionSettings(
        executor=SLOW_BACKFILL, critical_grace_s=1.0, traffic=TrafficSettings(enabled=False)
    )
    harness.context = replace(harness.context, settings=settings)
    waiting = harness.start(SQL)
    assert waiting.waiting, waiting.values.get("error")

    burst = ErrorBurst(database_url)
    burst.thread.start()
    try:
        ended = harness.approve()
    finally:
        burst.stop.set()
        burst.thread.join(timeout=10)

    assert burst.failed > 50, "the application really failed during the migration"
    assert ended.status == "rolled_back", ended.values.get("error")
    assert fingerprint(database_url) == before, "every step undone: the schema is as before the migration"
    verdicts = [event for event in harness.progress("executor") if event.get("event") == "verdict"]
    assert any(event["level"] == "critical" and "rollback" in event["summary"] for event in verdicts), (
        verdicts
    )
    stopped = " ".join(entry["message"] for entry in ended.values["log"])
    assert "the monitor stopped the run" in stopped
    statuses = {row.status for row in migration_status(database_url)}
    assert statuses == {"rolled_back"}, statuses  # recorded, and rolled back
