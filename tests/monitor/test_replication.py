"""Replication lag on real servers: a streaming standby held back, and a slot that keeps WAL.

The standby is real (pg_basebackup of a fresh embedded primary) and replays every commit two seconds
late, so the sampler on the primary must see its replay lag pass gh-ost's 1.5 s and the throttle must slow
down, naming it. The slot test runs on the suite's own server (also the system PostgreSQL 15 in CI): a
physical slot reserving WAL from now on, WAL written, and the retained bytes must grow and be judged.
"""

from __future__ import annotations

import threading
import uuid

import psycopg

from tests.monitor.standby import STANDBY_NAME, lagging_standby
from tests.monitor.waiting import wait_until
from zdt.monitor import MetricSample, MetricsSampler, MonitorThrottle, Thresholds, judge

APPLY_DELAY_S = 2.0
REPLICATION_WAIT_S = 10.0


def _write_until(url: str, stop: threading.Event) -> None:
    """A commit every 50 ms: WAL the standby has to replay, each commit held back by the delay."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.writes (id bigserial PRIMARY KEY, at timestamptz)")
        while not stop.wait(0.05):
            conn.execute("INSERT INTO public.writes (at) VALUES (now())")


def test_a_standby_replaying_late_throttles_the_migration_and_is_named() -> None:
    with lagging_standby(APPLY_DELAY_S) as pair:
        stop = threading.Event()
        writer = threading.Thread(target=_write_until, args=(pair.primary_url, stop), daemon=True)
        with MetricsSampler(pair.primary_url, interval_s=0.1) as sampler:
            assert sampler.wait_for_samples(1)
            assert wait_until(
                lambda: any(r.name == STANDBY_NAME for r in sampler.samples[-1].replicas), REPLICATION_WAIT_S
            )
            quiet = sampler.samples[-1]
            writer.start()
            try:
                throttle = MonitorThrottle(sampler)

                def lagging() -> bool:
                    return any(r.replay_lag_s and r.replay_lag_s > 1.5 for r in sampler.samples[-1].replicas)

                assert wait_until(lagging, REPLICATION_WAIT_S), "the standby never lagged 1.5 s behind"
                verdict = throttle.verdict()
                pause = throttle()
            finally:
                stop.set()
                writer.join(5)
            samples = sampler.samples
    [replica] = quiet.replicas
    assert replica.state == "streaming" and replica.client_addr is None  # over the Unix socket
    assert replica.replay_lag_s is not None and replica.replay_lag_s < 1.0
    assert verdict.level == "throttle", verdict
    [reason] = verdict.reasons
    assert reason.startswith(f"throttle: replication lag: standby '{STANDBY_NAME}' (streaming) replays ")
    assert "(threshold 1.5 s)" in reason
    assert pause == throttle.thresholds.pause_s
    worst = max((r for s in samples for r in s.replicas), key=lambda r: r.replay_lag_s or 0.0)
    assert 1.5 < (worst.replay_lag_s or 0.0) < APPLY_DELAY_S + 2.0
    assert any((r.bytes_behind or 0) > 0 for s in samples for r in s.replicas)
    assert judge(samples, None, Thresholds(replication_lag_critical_s=1.5)).level == "critical"


def _mine(samples: list[MetricSample], slot_name: str) -> list[MetricSample]:
    """The samples with only our slot: the server may be shared with other tests' slots."""
    return [s.model_copy(update={"slots": [x for x in s.slots if x.slot_name == slot_name]}) for s in samples]


def test_a_slot_retaining_wal_is_reported_and_judged(database_url: str) -> None:
    slot_name = f"zdt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Reserved from the last checkpoint's redo point: it keeps what is written from then on.
        conn.execute("SELECT pg_create_physical_replication_slot(%s, true)", [slot_name])
        try:
            with MetricsSampler(database_url, interval_s=0.1) as sampler:
                assert sampler.wait_for_samples(2)
                before = _mine(sampler.samples, slot_name)
                conn.execute(
                    "CREATE TABLE public.filler AS "
                    "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 40000) g"
                )
                [reserved] = before[-1].slots
                start = reserved.retained_bytes or 0

                def retained() -> int:
                    slots = _mine(sampler.samples, slot_name)[-1].slots
                    return slots[0].retained_bytes or 0 if slots else 0

                assert wait_until(lambda: retained() > start + (4 << 20), REPLICATION_WAIT_S), (
                    "its retained WAL never grew"
                )
                samples = _mine(sampler.samples, slot_name)
        finally:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [slot_name])
    assert reserved.slot_type == "physical" and not reserved.active
    assert reserved.retained_bytes is not None
    assert judge(samples, None).level == "ok"  # no slot threshold by default
    thresholds = Thresholds(slot_retained_bytes_throttle=start + (2 << 20))
    assert judge(before, None, thresholds).level == "ok"
    verdict = judge(samples, None, thresholds)
    assert verdict.level == "throttle"
    [reason] = verdict.reasons
    assert reason.startswith(f"throttle: replication slot: '{slot_name}' (physical, inactive) retains ")
    assert " MB of WAL (threshold " in reason
