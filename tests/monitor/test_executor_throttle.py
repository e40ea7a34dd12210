"""MonitorThrottle plugged into the real executor: the migration waits while live traffic is queued.

The plan's own step touches another table, so nothing but the throttle can hold it back: the step may only
start after the pile-up on ``items`` is over, and the executor reports its pauses as THROTTLED events.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

from zdt.executor import EventKind, ExecutionEvent, apply_plan
from zdt.monitor import MIGRATION_START, MetricsSampler, MonitorThrottle, Thresholds, table_probes
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase, Rollback, Step, Verification

HOLD_S = 1.5


def _plan(pg_version: int) -> MigrationPlan:
    step = Step(
        id="add-note",
        phase=Phase.EXPAND,
        description="add column note to other",
        sql=["ALTER TABLE public.other ADD COLUMN note text"],
        verify=Verification(
            sql="SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = 'public.other'::regclass "
            "AND attname = 'note' AND NOT attisdropped"
        ),
        rollback=Rollback(sql=["ALTER TABLE public.other DROP COLUMN IF EXISTS note"]),
        tables=["public.other"],
    )
    return stamp(MigrationPlan(id="m-throttle", source="-- test", pg_version=pg_version, steps=[step]))


def test_the_executor_waits_for_the_pile_up_to_clear(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE public.items (id bigint PRIMARY KEY)")
    conn.execute("CREATE TABLE public.other (id bigint PRIMARY KEY)")
    events: list[ExecutionEvent] = []
    probes = table_probes(["public.items", "public.other"])
    with MetricsSampler(database_url, probes, interval_s=0.1) as sampler:
        assert sampler.wait_for_samples(5)
        sampler.mark(MIGRATION_START)
        holder = psycopg.connect(database_url)
        waiter = psycopg.connect(database_url, autocommit=True)
        holder.execute("LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE")
        reader = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM public.items"))
        reader.start()
        started = time.monotonic()
        released_at: list[float] = []

        def release() -> None:
            released_at.append(time.monotonic() - started)
            holder.rollback()

        timer = threading.Timer(HOLD_S, release)
        timer.start()
        time.sleep(0.4)  # the monitor sees the first timed-out probes
        try:
            throttle = MonitorThrottle(sampler, Thresholds(pause_s=0.2))
            result = apply_plan(
                _plan(server_version),
                database_url,
                throttle=throttle,
                on_event=events.append,
                log_path=tmp_path / "MIGRATION-LOG.md",
            )
        finally:
            timer.join()
            reader.join(5)
            holder.close()
            waiter.close()
    assert result.ok, result
    kinds = [event.kind for event in events]
    assert EventKind.THROTTLED in kinds
    assert kinds.index(EventKind.THROTTLED) < kinds.index(EventKind.STEP_STARTED)
    step_started = next(e for e in events if e.kind is EventKind.STEP_STARTED)
    first_pause = next(e for e in events if e.kind is EventKind.THROTTLED)
    assert (step_started.at - first_pause.at).total_seconds() >= HOLD_S - 0.4 - 0.1
    assert released_at and throttle.pauses >= 3
    assert throttle.verdicts[-1].action == "recovered: the executor goes on"
