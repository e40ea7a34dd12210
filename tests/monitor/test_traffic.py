"""Application traffic on a real server: the load generator's errors, the server's rollbacks.

The error burst is real: the load generator's queries start failing because the tables they read are
renamed under them (42P01, as a migration that renames too early would cause), first a rarely read table
(a trickle of errors: throttle), then the main one (every request fails: critical), then both come back
(ok). The server-side view is checked with real statements that really fail and roll back, counted by
pg_stat_database, with no traffic source at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from zdt.load import LoadConfig, LoadGenerator, Query, QueryKind, Workload
from zdt.load.workload import key_range
from zdt.monitor import (
    MIGRATION_START,
    MetricsSampler,
    MonitorThrottle,
    MonitorVerdict,
    Thresholds,
    judge,
    write_monitoring_report,
)

INTERVAL_S = 0.1


def wait_for(check: Callable[[], MonitorVerdict | None], timeout_s: float = 5.0) -> MonitorVerdict | None:
    """Poll ``check`` until it returns a verdict (not None); None on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        verdict = check()
        if verdict is not None:
            return verdict
        time.sleep(0.05)
    return None


def _read(table: str, weight: float) -> Query:
    return Query(
        name=f"read {table}",
        sql=f"SELECT id FROM public.{table} WHERE id = %(k)s",
        weight=weight,
        kind=QueryKind.READ,
        params=(("k", key_range(1, 100)),),
    )


@pytest.fixture
def tables_url(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in ("items", "rare"):
            conn.execute(f"CREATE TABLE public.{table} (id bigint PRIMARY KEY)")
            conn.execute(f"INSERT INTO public.{table} SELECT generate_series(1, 100)")
    return database_url


def test_an_error_burst_of_the_load_throttles_then_is_critical_then_clears(
    tables_url: str, tmp_path: Path
) -> None:
    workload = Workload((_read("items", 0.995), _read("rare", 0.005)), name="reads")
    config = LoadConfig(rate=200, connections=2, duration_s=20, seed=3)
    generator = LoadGenerator(tables_url, workload, config)
    # The server-side rollback rate would see the burst too, but over its 5 s window: judged on its own below.
    thresholds = Thresholds(rollback_rate_increase_critical=None)
    with psycopg.connect(tables_url, autocommit=True) as ddl:
        generator.start()
        try:
            with MetricsSampler(tables_url, interval_s=INTERVAL_S, traffic=generator.live_counts) as sampler:
                assert sampler.wait_for_samples(5)
                sampler.mark(MIGRATION_START)
                throttle = MonitorThrottle(sampler, thresholds)

                def level(wanted: str) -> Callable[[], MonitorVerdict | None]:
                    return lambda: v if (v := throttle.verdict()).level == wanted else None

                def alarmed() -> MonitorVerdict | None:
                    return v if (v := throttle.verdict()).level != "ok" else None

                quiet = wait_for(level("ok"))
                assert quiet is not None and quiet.reasons == []
                sampler.mark("rare table renamed")
                ddl.execute("ALTER TABLE public.rare RENAME TO rare_gone")
                first = wait_for(alarmed)
                sampler.mark("main table renamed")
                ddl.execute("ALTER TABLE public.items RENAME TO items_gone")
                critical = wait_for(level("critical"))
                pause = throttle()
                sampler.mark("tables back")
                ddl.execute("ALTER TABLE public.items_gone RENAME TO items")
                ddl.execute("ALTER TABLE public.rare_gone RENAME TO rare")
                recovered = wait_for(level("ok"))
                samples, marks, baseline = sampler.samples, sampler.marks, sampler.baseline()
        finally:
            result = generator.stop()
    assert first is not None and first.level == "throttle", first
    [reason] = first.reasons
    assert reason.startswith("throttle: application error rate:")
    assert "top SQLSTATEs: 42P01 x" in reason and "> 0.0 %" in reason
    assert critical is not None, "the burst never became critical"
    assert any(
        r.startswith("critical: application error rate:") and "42P01" in r and "> 2.0 %" in r
        for r in critical.reasons
    )
    assert pause == thresholds.pause_s
    assert recovered is not None, "the verdict did not come back to ok after the burst"
    # What the sampler recorded is what the load generator counted, request for request.
    counted = generator.live_counts()
    assert 0 < sum(s.app_errors or 0 for s in samples) <= counted.errors
    assert 0 < sum(s.app_requests or 0 for s in samples) <= counted.requests <= len(result.ended)
    by_step = {s.step: s for s in samples if s.app_errors}
    assert "main table renamed" in by_step
    assert judge([s for s in samples if s.step == "baseline"], baseline).level == "ok"
    markdown, *_ = write_monitoring_report(tmp_path, samples, marks, [first, critical, recovered], baseline)
    lines = markdown.read_text().splitlines()
    [row] = [line for line in lines if line.startswith("| `main table renamed` |")]
    assert "42P01 x" in row


@dataclass
class Statements:
    """A thread sending real reads of a table as fast as one connection allows; some really fail.

    They read a table on purpose: a backend publishes its transaction counts together with its other
    pending statistics, and a statement that touches no relation (``SELECT 1``) leaves none, so its
    commits and rollbacks can stay unpublished for as long as the connection keeps busy (measured).
    """

    url: str
    fail_every: int = 0  # 0: none fail; n: every n-th is a division by zero (a real rollback)
    on_failure: Callable[[], None] | None = None  # told of each rollback, as the executor tells its own
    sent: int = 0
    failed: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE public.items (id bigint PRIMARY KEY)")
            conn.execute("INSERT INTO public.items SELECT generate_series(1, 10)")
            while not self._stop.is_set():
                self.sent += 1
                failing = self.fail_every and self.sent % self.fail_every == 0
                try:
                    conn.execute(f"SELECT id / {0 if failing else 1} FROM public.items WHERE id = 1")
                except psycopg.errors.DivisionByZero:
                    self.failed += 1
                    if self.on_failure is not None:
                        self.on_failure()
                time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture
def statements(database_url: str) -> Iterator[Statements]:
    traffic = Statements(database_url)
    thread = threading.Thread(target=traffic.run, daemon=True)
    thread.start()
    yield traffic
    traffic.stop()
    thread.join(5)


def test_real_rollbacks_raise_the_server_side_rollback_rate(
    database_url: str, statements: Statements
) -> None:
    """No traffic source: pg_stat_database alone shows the burst, late by up to a second, then clears."""
    thresholds = Thresholds(server_window_s=2.0)
    with MetricsSampler(database_url, interval_s=INTERVAL_S) as sampler:
        time.sleep(2.5)  # at least two flushes of the backends' counters in the baseline
        sampler.mark(MIGRATION_START)
        baseline = sampler.rollback_baseline()
        throttle = MonitorThrottle(sampler, thresholds)
        statements.fail_every = 4
        critical = wait_for(lambda: v if (v := throttle.verdict()).level == "critical" else None)
        failed_at = statements.failed
        statements.fail_every = 0
        recovered = wait_for(lambda: v if (v := throttle.verdict()).level == "ok" else None)
        samples = sampler.samples
    assert baseline is not None and baseline < 0.01
    assert critical is not None, "the rollbacks were never judged critical"
    [reason] = critical.reasons
    assert reason.startswith("critical: rollback rate:") and "pg_stat_database" in reason
    assert "(threshold +2 points)" in reason
    assert recovered is not None, "the verdict did not come back to ok once the rollbacks stopped"
    read = [s for s in samples if s.db_commits is not None]
    assert len(read) >= len(samples) - 1  # every tick after the first has a delta
    assert failed_at // 2 <= sum(s.db_rollbacks or 0 for s in read) <= statements.failed
    assert all(s.monitor_commits >= 2 and s.monitor_rollbacks == 0 for s in samples)
    assert all(s.app_requests is None for s in samples)  # no traffic source, no application figures


def test_the_executors_own_rolled_back_retries_are_not_counted_against_the_application(
    database_url: str, statements: Statements
) -> None:
    """The same burst as above, each rollback reported as a lock_timeout retry of the executor: the
    server sees the rollbacks, the rollback-rate check does not count them (other signals may still move
    on a busy test machine, so only that check's reasons are looked at)."""
    thresholds = Thresholds(server_window_s=2.0)
    with MetricsSampler(database_url, interval_s=INTERVAL_S) as sampler:
        time.sleep(2.5)
        sampler.mark(MIGRATION_START)
        throttle = MonitorThrottle(sampler, thresholds)
        statements.on_failure = sampler.count_executor_rollbacks
        statements.fail_every = 4
        deadline = time.monotonic() + 4.0
        reasons: list[str] = []
        while time.monotonic() < deadline:
            reasons += throttle.verdict().reasons
            time.sleep(INTERVAL_S)
        statements.fail_every = 0
        time.sleep(1.5)  # the last rollbacks reach pg_stat_database up to a second late
        samples = sampler.samples
    assert statements.failed >= 100, "too few rollbacks to have been judged at all"
    assert sum(s.db_rollbacks or 0 for s in samples) >= statements.failed // 2  # the server saw them
    assert not [reason for reason in reasons if "rollback rate" in reason]
    counted = sum(s.executor_rollbacks for s in samples)
    assert statements.failed * 0.9 <= counted <= statements.failed


def test_a_traffic_source_that_raises_does_not_stop_the_sampler(database_url: str) -> None:
    calls = {"n": 0}

    @dataclass(frozen=True)
    class Reading:
        requests: int
        errors: int
        errors_by_sqlstate: dict[str, int]

    def flaky() -> Reading:
        calls["n"] += 1
        if calls["n"] % 2 == 0:
            raise RuntimeError("the application's metrics endpoint is down")
        return Reading(calls["n"] * 10, calls["n"], {"40001": calls["n"]})

    with MetricsSampler(database_url, interval_s=0.05, traffic=flaky) as sampler:
        assert sampler.wait_for_samples(10)
        samples = sampler.samples
    assert sampler.stop_reason == "stopped"
    assert all(s.ok for s in samples)
    measured = [s for s in samples if s.app_requests is not None]
    assert len(measured) >= 3 and len(samples) - len(measured) >= 3  # raised: nothing recorded that tick
    assert all(s.app_requests == 20 and s.app_errors == 2 for s in measured)  # nothing lost either
    assert all(s.app_errors_by_sqlstate == {"40001": 2} for s in measured)
