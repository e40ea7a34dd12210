"""MonitorThrottle plugged into the real executor: the migration waits while live traffic is queued.

The plan's steps touch another table, so nothing but the throttle can hold them back. A pile-up on
``items`` starts as soon as the first step is done (from the executor's own event callback, so the timing
is exact); the second step may only start after the pile-up is over, and the executor reports its pauses
as THROTTLED events taken while the lock was still held.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from zdt.executor import EventKind, ExecutionEvent, apply_plan
from zdt.monitor import MIGRATION_START, MetricsSampler, MonitorThrottle, Thresholds, table_probes
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase, Rollback, Step, Verification

HOLD_S = 2.0


def _add_column(column: str) -> Step:
    return Step(
        id=f"add-{column}",
        phase=Phase.EXPAND,
        description=f"add column {column} to other",
        sql=[f"ALTER TABLE public.other ADD COLUMN {column} text"],
        verify=Verification(
            sql="SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = 'public.other'::regclass "
            f"AND attname = '{column}' AND NOT attisdropped"
        ),
        rollback=Rollback(sql=[f"ALTER TABLE public.other DROP COLUMN IF EXISTS {column}"]),
        tables=["public.other"],
    )


class PileUp:
    """Starts a reader queued behind ACCESS EXCLUSIVE on items, and releases it HOLD_S later."""

    def __init__(self, url: str, sampler: MetricsSampler) -> None:
        self.sampler = sampler
        self.holder = psycopg.connect(url)
        self.waiter = psycopg.connect(url, autocommit=True)
        self.reader: threading.Thread | None = None
        self.timer: threading.Timer | None = None
        self.released_at: datetime | None = None

    def start(self) -> None:
        self.holder.execute("LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE")
        query = "SELECT count(*) FROM public.items"
        self.reader = threading.Thread(target=lambda: self.waiter.execute(query))
        self.reader.start()
        self.timer = threading.Timer(HOLD_S, self.release)
        self.timer.start()
        # Give the monitor time to see it as the executor's next throttle call will: a wait over 0.5 s.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            wait.wait_s > 0.7 for sample in self.sampler.recent(0.3) for wait in sample.lock_waits
        ):
            time.sleep(0.05)

    def release(self) -> None:
        self.released_at = datetime.now(UTC)
        self.holder.rollback()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.join()
        if self.reader is not None:
            self.reader.join(5)
        self.holder.close()
        self.waiter.close()


def test_the_executor_waits_for_the_pile_up_to_clear(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE public.items (id bigint PRIMARY KEY)")
    conn.execute("CREATE TABLE public.other (id bigint PRIMARY KEY)")
    plan = stamp(
        MigrationPlan(
            id="m-throttle",
            source="-- test",
            pg_version=server_version,
            steps=[_add_column("first"), _add_column("second")],
        )
    )
    events: list[ExecutionEvent] = []
    probes = table_probes(["public.items", "public.other"])
    with MetricsSampler(database_url, probes, interval_s=0.1) as sampler:
        assert sampler.wait_for_samples(5)
        sampler.mark(MIGRATION_START)
        pile_up = PileUp(database_url, sampler)

        def on_event(event: ExecutionEvent) -> None:
            events.append(event)
            if event.kind is EventKind.STEP_DONE and event.step_id == "add-first":
                pile_up.start()

        throttle = MonitorThrottle(sampler, Thresholds(pause_s=0.2))
        try:
            result = apply_plan(
                plan, database_url, throttle=throttle, on_event=on_event, log_path=tmp_path / "LOG.md"
            )
        finally:
            pile_up.close()
    assert result.ok, result
    released_at = pile_up.released_at
    assert released_at is not None
    throttled = [e for e in events if e.kind is EventKind.THROTTLED]
    second_started = next(e for e in events if e.kind is EventKind.STEP_STARTED and e.step_id == "add-second")
    assert throttled and all(e.step_id == "add-second" for e in throttled)
    assert throttled[0].at < released_at < second_started.at
    assert len([e for e in throttled if e.at < released_at]) >= 2  # held while the lock was held
    assert throttle.verdicts[0].verdict.level == "critical"
    assert throttle.verdicts[-1].action == "recovered: the executor goes on"
