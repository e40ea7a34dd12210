"""The sampler on a real server: a real lock pile-up, a killed connection, its own bounds.

The pile-up is what the load notes measured as the dangerous case: one session holds ACCESS EXCLUSIVE in
an open transaction and every reader of the table queues behind it. The sampler must see the waiter, name
its blocker, watch the wait grow, and its probe on that table must come back slow (its lock_timeout) rather
than hang; judge() and the throttle adapter must react, and calm down once the lock is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.monitor.waiting import wait_until
from zdt.db.scratch import scratch_database
from zdt.monitor import (
    MIGRATION_START,
    Mark,
    MetricSample,
    MetricsSampler,
    MonitorThrottle,
    Thresholds,
    judge,
    table_probes,
    write_monitoring_report,
)
from zdt.monitor.probes import ProbeQuery
from zdt.policy import PolicyViolation

INTERVAL_S = 0.1
PROBE_LOCK_TIMEOUT_MS = 100


@dataclass
class PileUp:
    """What the sampler and the throttle saw while a reader queued behind an ACCESS EXCLUSIVE lock."""

    holder_pid: int
    waiter_pid: int
    samples: list[MetricSample]
    during: list[MetricSample]
    baseline: float | None
    pause_during: float
    pause_after: float
    throttle: MonitorThrottle
    marks: list[Mark] = field(default_factory=list)


def _hold_and_wait(url: str, sampler: MetricsSampler, throttle: MonitorThrottle) -> PileUp:
    holder = psycopg.connect(url)
    waiter = psycopg.connect(url, autocommit=True)
    try:
        holder.execute("LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE")
        sampler.mark("lock held")
        reader = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM public.items"))
        reader.start()
        waiter_pid = waiter.info.backend_pid

        def waited_long_enough() -> bool:
            recent = sampler.recent(0.3)
            return any(w.pid == waiter_pid and w.wait_s > 1.0 for s in recent for w in s.lock_waits)

        assert wait_until(waited_long_enough), "the sampler never saw the reader wait for a second"
        pause_during = throttle()
        during = sampler.recent(throttle.thresholds.window_s)
        holder.rollback()
        reader.join(5)
        sampler.mark("lock released")
        pauses_after: list[float] = []

        def calm() -> bool:
            pauses_after.append(throttle())
            return pauses_after[-1] == 0.0

        wait_until(calm, timeout_s=5.0)
        return PileUp(
            holder_pid=holder.info.backend_pid,
            waiter_pid=waiter_pid,
            samples=sampler.samples,
            during=during,
            baseline=sampler.baseline(),
            pause_during=pause_during,
            pause_after=pauses_after[-1],
            throttle=throttle,
            marks=sampler.marks,
        )
    finally:
        holder.close()
        waiter.close()


@pytest.fixture(scope="module")
def pile_up(admin_url: str) -> Iterator[PileUp]:
    with scratch_database(admin_url, prefix="zdt_test") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE public.items (id bigint PRIMARY KEY)")
            conn.execute("INSERT INTO public.items SELECT generate_series(1, 1000)")
        probes: dict[str, ProbeQuery] = {"server": "SELECT 1", **table_probes(["public.items"])}
        with MetricsSampler(
            url, probes, interval_s=INTERVAL_S, probe_lock_timeout_ms=PROBE_LOCK_TIMEOUT_MS
        ) as sampler:
            assert sampler.wait_for_samples(6)
            sampler.mark(MIGRATION_START)
            throttle = MonitorThrottle(sampler)
            yield _hold_and_wait(url, sampler, throttle)


def test_samples_show_the_waiting_session_and_its_blocker(pile_up: PileUp) -> None:
    waiting = [s for s in pile_up.samples if any(w.pid == pile_up.waiter_pid for w in s.lock_waits)]
    assert len(waiting) >= 5
    for sample in waiting:
        wait = next(w for w in sample.lock_waits if w.pid == pile_up.waiter_pid)
        assert wait.blocked_by == [pile_up.holder_pid]
        assert wait.wait_event == "relation"
        assert "SELECT count(*) FROM public.items" in wait.query
        [blocker] = [b for b in sample.blockers if b.pid == pile_up.holder_pid]
        assert blocker.state == "idle in transaction"
        assert "LOCK TABLE public.items" in blocker.query
        assert sample.step == "lock held"
        assert sample.sessions_waiting >= 1
        assert sample.idle_in_transaction >= 1
        assert sample.max_connections > 0 and sample.connections >= 3


def test_the_lock_wait_grows_from_sample_to_sample(pile_up: PileUp) -> None:
    waits = [w.wait_s for s in pile_up.samples for w in s.lock_waits if w.pid == pile_up.waiter_pid]
    assert waits == sorted(waits)
    assert waits[-1] - waits[0] > 0.5
    assert max(s.longest_lock_wait_s for s in pile_up.samples) == waits[-1]


def test_the_probe_on_the_locked_table_times_out_instead_of_hanging(pile_up: PileUp) -> None:
    held = [s for s in pile_up.samples if s.step == "lock held" and s.lock_waits]
    held = held[:-1]  # the lock may have gone between the last one's activity read and its probe
    blocked = [p for s in held for p in s.probes if p.name == "public.items"]
    assert blocked and all(p.sqlstate == "55P03" and p.timed_out for p in blocked)
    assert all(PROBE_LOCK_TIMEOUT_MS * 0.9 <= p.latency_ms < 1000 for p in blocked)
    assert all(p.ok for s in held for p in s.probes if p.name == "server")  # only that table is slow
    before = [p for s in pile_up.samples if s.step == "baseline" for p in s.probes]
    assert before and all(p.ok for p in before)


def test_judge_is_critical_during_the_pile_up(pile_up: PileUp) -> None:
    verdict = judge(pile_up.during, pile_up.baseline)
    assert verdict.level == "critical"
    assert any(r.startswith("critical: probe latency") and "'public.items'" in r for r in verdict.reasons)
    assert any(
        r.startswith("throttle: lock wait")
        and f"pid {pile_up.waiter_pid}" in r
        and f"behind pid(s) {pile_up.holder_pid}" in r
        for r in verdict.reasons
    )


def test_judge_throttles_on_the_pile_up_when_latency_may_only_throttle(pile_up: PileUp) -> None:
    verdict = judge(pile_up.during, pile_up.baseline, Thresholds(latency_increase_critical=None))
    assert verdict.level == "throttle"
    assert {r.split(":")[1].strip() for r in verdict.reasons} == {"probe latency", "lock wait"}


def test_judge_is_ok_before_the_pile_up(pile_up: PileUp) -> None:
    before = [s for s in pile_up.samples if s.step == "baseline"]
    assert judge(before, pile_up.baseline).level == "ok"


def test_the_throttle_pauses_during_the_pile_up_and_not_after(pile_up: PileUp) -> None:
    assert pile_up.pause_during == pile_up.throttle.thresholds.pause_s > 0
    assert pile_up.pause_after == 0.0
    actions = [record.action for record in pile_up.throttle.verdicts]
    assert actions[0].startswith("paused the executor")
    assert actions[-1] == "recovered: the executor goes on"
    assert pile_up.throttle.verdicts[0].verdict.level == "critical"


def test_baseline_is_the_median_before_migration_start(pile_up: PileUp) -> None:
    before = sorted(p.latency_ms for s in pile_up.samples if s.step == "baseline" for p in s.probes)
    assert pile_up.baseline is not None
    assert before[0] <= pile_up.baseline <= before[-1]
    assert pile_up.baseline < PROBE_LOCK_TIMEOUT_MS / 10
    assert [mark.label for mark in pile_up.marks] == [MIGRATION_START, "lock held", "lock released"]


def test_a_terminated_connection_is_recorded_and_the_sampler_reconnects(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE public.s")
        probes = {"server": "SELECT 1", "writes": "SELECT nextval('public.s')"}
        with MetricsSampler(database_url, probes, interval_s=INTERVAL_S) as sampler:
            assert sampler.wait_for_samples(3)
            first_pid = sampler.backend_pid
            conn.execute("SELECT pg_terminate_backend(%s)", [first_pid])
            assert wait_until(lambda: any(not s.ok for s in sampler.samples))
            assert wait_until(lambda: sampler.samples[-1].ok and sampler.backend_pid != first_pid)
            samples = sampler.samples
    failures = [s for s in samples if not s.ok]
    assert len(failures) == 1
    assert failures[0].connection_error is not None and "57P01" in failures[0].connection_error
    after = samples[samples.index(failures[0]) + 1 :]
    assert after and all(s.ok for s in after)
    assert sampler.connects == 2
    verdict = judge(samples, sampler.baseline())
    assert verdict.level == "critical"
    assert any(r.startswith("critical: connection failures: 1 > 0") for r in verdict.reasons)
    # The sampler's connection is read-only on the server side, whatever a probe tries.
    writes = [p for s in samples for p in s.probes if p.name == "writes"]
    assert writes and all(p.sqlstate == "25006" for p in writes)


def test_an_unreachable_server_is_a_connection_failure_not_a_crash() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    with MetricsSampler(url, interval_s=INTERVAL_S, connect_timeout_s=1) as sampler:
        assert sampler.wait_for_samples(2)
    assert all(not s.ok and s.connection_error for s in sampler.samples)


def test_the_sampler_is_bounded_in_count_and_time(database_url: str) -> None:
    with MetricsSampler(database_url, interval_s=0.02, max_samples=8) as sampler:
        assert wait_until(lambda: sampler.elapsed_s() > 0.6)
        samples = sampler.samples
    assert 2 <= len(samples) < 8
    assert samples[0].elapsed_s < 0.1 and samples[-1].elapsed_s > 0.4  # thinned, not truncated
    timed = MetricsSampler(database_url, interval_s=0.05, max_duration_s=0.3).start()
    assert wait_until(lambda: not timed.running, timeout_s=3.0)
    assert timed.stop_reason is not None and "max_duration_s" in timed.stop_reason
    timed.stop()


@pytest.mark.parametrize(
    "probe", ["DELETE FROM items", "SELECT 1; SELECT 2", "SELECT pg_terminate_backend(1)"]
)
def test_probes_must_pass_the_read_only_policy(probe: str) -> None:
    with pytest.raises(PolicyViolation):
        MetricsSampler("postgresql://unused", {"bad": probe})


def test_the_report_of_the_real_pile_up(pile_up: PileUp, tmp_path: Path) -> None:
    markdown, html, *_ = write_monitoring_report(
        tmp_path, pile_up.samples, pile_up.marks, pile_up.throttle.verdicts, pile_up.baseline
    )
    text = markdown.read_text()
    assert f"| {pile_up.waiter_pid} | lock held |" in text
    assert f"{pile_up.holder_pid} (idle in transaction" in text
    assert "LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE" in text
    assert "| critical | paused the executor 0.5 s |" in text
    assert "recovered: the executor goes on" in text
    assert html.read_text().count("<svg") == 3
