"""The Monitoring agent's eyes: a background thread sampling the database every 100-250 ms.

It runs on its own connection, never the executor's, so a migration that is stuck (or a pool that is
exhausted) is still observed; that connection is autocommit, read-only and has short timeouts, so the
monitor itself can neither hold locks nor hang behind them. A probe blocked by a lock fails after its
``lock_timeout`` and is recorded as slow and errored; if the connection itself breaks (a terminated
backend, a restart) the failure is recorded and the next tick reconnects. The thread is bounded in time
(``max_duration_s``) and memory (``max_samples``: past it, every other sample is dropped so the whole
timeline stays covered at half the resolution, the dropped samples' counts folded into the kept ones).

Each tick also reads the database's committed and rolled-back transactions and, on a primary, its standbys'
replay lag and its slots' retained WAL, all in the same short read-only transaction; and, when given a
``traffic`` source (the load generator's ``live_counts``), the application's requests and errors.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import psycopg

from zdt.monitor.activity import (
    lock_waits_query,
    read_counts,
    read_lock_waits,
    read_max_connections,
    read_sessions,
)
from zdt.monitor.figures import rollback_rate
from zdt.monitor.models import Mark, MetricSample, ProbeResult, ReplicaLag, SlotLag, TrafficCounts, utc_now
from zdt.monitor.probes import ProbeQuery, checked_probes
from zdt.monitor.replication import read_replicas, read_slots
from zdt.monitor.traffic import (
    Counts,
    read_server_traffic,
    read_traffic,
    server_delta,
    thin,
    traffic_delta,
)

MIGRATION_START = "migration-start"
BASELINE_STEP = "baseline"
ACTIVITY_PROBE = "(activity)"
"""Name of the pseudo-probe recorded when the catalog queries themselves time out."""


def _describe(error: BaseException) -> tuple[str | None, str]:
    """('SQLSTATE', 'SQLSTATE: message') of a psycopg error, short enough for a report line."""
    sqlstate = getattr(error, "sqlstate", None)
    diag = getattr(error, "diag", None)
    message = (diag.message_primary if diag is not None else None) or str(error).strip()
    message = " ".join(message.split())
    return sqlstate, f"{sqlstate}: {message}" if sqlstate else message


def _is_broken(conn: psycopg.Connection) -> bool:
    return conn.closed or conn.broken


class MetricsSampler:
    """Samples locks, sessions, connections and probe latency on a background thread.

    Usage: ``start()``, wait for a baseline, ``mark("migration-start")``, ``mark(step)`` at each step
    boundary, ``stop()``; then ``samples``, ``marks`` and ``baseline()`` feed ``judge`` and the report.
    ``traffic`` is called once per tick, on the sampler's thread; it must be quick (a counter read).
    """

    def __init__(
        self,
        url: str,
        probe_queries: Mapping[str, ProbeQuery] | None = None,
        interval_s: float = 0.2,
        *,
        probe_lock_timeout_ms: int = 100,
        statement_timeout_ms: int = 1000,
        connect_timeout_s: int = 2,
        max_samples: int = 20_000,
        max_duration_s: float = 4 * 3600,
        application_name: str = "zdt-monitor",
        traffic: Callable[[], TrafficCounts] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        if max_samples < 2:
            raise ValueError("max_samples must be at least 2")
        self.url = url
        self.probe_queries = checked_probes(probe_queries)
        self.interval_s = interval_s
        self.probe_lock_timeout_ms = probe_lock_timeout_ms
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout_s = connect_timeout_s
        self.max_samples = max_samples
        self.max_duration_s = max_duration_s
        self.application_name = application_name
        self.traffic = traffic
        self._last_traffic: Counts | None = None
        self._last_server: tuple[int, int] | None = None
        self.lifetime_transactions: tuple[int, int] | None = None
        """(commits, rollbacks) of the database since its statistics were reset, at the first reading."""
        self.stop_reason: str | None = None
        self._samples: list[MetricSample] = []
        self._marks: list[Mark] = []
        self._step = BASELINE_STEP
        self._executor_rollbacks = 0  # reported by count_executor_rollbacks, not yet seen by pg_stat
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sampled = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None
        self._lock_waits_sql = ""
        self._max_connections = 0
        self._backend_pid: int | None = None
        self.connects = 0
        self._started_at = time.monotonic()
        self._started_wall: datetime = utc_now()

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> MetricsSampler:
        if self._thread is not None:
            raise RuntimeError("the sampler is already started")
        self._started_at = time.monotonic()
        self._started_wall = utc_now()
        self._thread = threading.Thread(target=self._run, name="zdt-monitor-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop sampling and close the connection; safe to call twice."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        if self.stop_reason is None:
            self.stop_reason = "stopped"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> MetricsSampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what callers read -----------------------------------------------------------------------------

    @property
    def samples(self) -> list[MetricSample]:
        with self._lock:
            return list(self._samples)

    @property
    def marks(self) -> list[Mark]:
        with self._lock:
            return list(self._marks)

    @property
    def started_at(self) -> datetime:
        return self._started_wall

    @property
    def backend_pid(self) -> int | None:
        """The server pid of the sampler's connection (changes when it reconnects)."""
        return self._backend_pid

    def elapsed_s(self) -> float:
        return time.monotonic() - self._started_at

    def mark(self, label: str) -> Mark:
        """Start a new step: samples from now on carry ``label``; the report draws a boundary here."""
        mark = Mark(label=label, elapsed_s=self.elapsed_s())
        with self._lock:
            self._marks.append(mark)
            self._step = label
        return mark

    def count_executor_rollbacks(self, count: int = 1) -> None:
        """The executor rolled back ``count`` transactions on purpose (a lock_timeout retry): not an error.

        Matched against the rollbacks the next samples see, so the rollback rate leaves them out like the
        monitor's own.
        """
        with self._lock:
            self._executor_rollbacks += count

    def recent(self, window_s: float) -> list[MetricSample]:
        """Samples taken in the last ``window_s`` seconds (what the throttle judges)."""
        since = self.elapsed_s() - window_s
        with self._lock:
            return [sample for sample in self._samples if sample.elapsed_s >= since]

    def baseline(self) -> float | None:
        """Median probe latency (ms) before ``mark('migration-start')``, or so far if not yet marked.

        Only probes that succeeded count: the baseline is what normal looks like.
        """
        with self._lock:
            start = next((m.elapsed_s for m in self._marks if m.label == MIGRATION_START), None)
            latencies = [
                probe.latency_ms
                for sample in self._samples
                if start is None or sample.elapsed_s < start
                for probe in sample.probes
                if probe.ok
            ]
        return statistics.median(latencies) if latencies else None

    def rollback_baseline(self, min_transactions: int = 100) -> float | None:
        """The database's rollback rate before ``migration-start`` (or so far), the monitor's own excluded.

        Many applications roll back routinely (pool resets, optimistic retries), so a rollback rate is only
        alarming as a rise over this. When the baseline window saw fewer than ``min_transactions``, the
        database's lifetime rate (since its statistics were reset) stands in. When both are too thin, the
        database was quiet before the migration, and its baseline is 0: rollbacks arriving now are new
        (None only before the first reading of the server's counters).
        """
        with self._lock:
            start = next((m.elapsed_s for m in self._marks if m.label == MIGRATION_START), None)
            before = [s for s in self._samples if start is None or s.elapsed_s < start]
        rate = rollback_rate(before, min_transactions)
        if rate is not None or self.lifetime_transactions is None:
            return rate
        commits, rollbacks = self.lifetime_transactions
        total = commits + rollbacks
        return rollbacks / total if total >= min_transactions else 0.0

    def wait_for_samples(self, count: int, timeout_s: float = 10.0) -> bool:
        """Block until at least ``count`` samples exist in total; False on timeout or if stopped."""
        deadline = time.monotonic() + timeout_s
        with self._sampled:
            while len(self._samples) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._thread is not None and not self._thread.is_alive()):
                    return False
                self._sampled.wait(min(remaining, 0.1))
        return True

    # -- the thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                tick = time.monotonic()
                if tick - self._started_at > self.max_duration_s:
                    self.stop_reason = f"max_duration_s ({self.max_duration_s:g} s) reached"
                    break
                self._record(self._sample())
                self._stopping.wait(max(0.0, self.interval_s - (time.monotonic() - tick)))
        finally:
            self._disconnect()

    def _record(self, sample: MetricSample) -> None:
        with self._sampled:
            self._samples.append(sample)
            if len(self._samples) >= self.max_samples:
                # Keep the whole timeline at half the resolution rather than stop watching mid-migration.
                self._samples = thin(self._samples)
            self._sampled.notify_all()

    def _sample(self) -> MetricSample:
        with self._lock:
            step = self._step
        at, elapsed = utc_now(), self.elapsed_s()
        app = self._app_traffic()  # also when the database is unreachable: that is when errors matter most
        sample = self._database_sample(at, elapsed, step)
        return sample.model_copy(update=app | {"executor_rollbacks": self._match_executor_rollbacks(sample)})

    def _match_executor_rollbacks(self, sample: MetricSample) -> int:
        """The executor's reported rollbacks that this sample's pg_stat_database delta shows.

        Backends publish their counts up to a second late, so a rollback reported now may reach the
        server's figures a sample or five later: it waits, unmatched, until rollbacks appear to match it.
        (An application rollback arriving meanwhile may be taken for one of the executor's: the error is
        bounded by the executor's own few retries.)
        """
        seen = max(0, (sample.db_rollbacks or 0) - sample.monitor_rollbacks)
        with self._lock:
            matched = min(self._executor_rollbacks, seen)
            self._executor_rollbacks -= matched
        return matched

    def _app_traffic(self) -> dict[str, Any]:
        """The traffic source's requests and errors since the previous tick, as MetricSample fields."""
        if self.traffic is None:
            return {}
        current = read_traffic(self.traffic)
        if current is None:
            return {}
        delta = traffic_delta(self._last_traffic, current)
        self._last_traffic = current
        if delta is None:
            return {}
        return {
            "app_requests": delta.requests,
            "app_errors": delta.errors,
            "app_errors_by_sqlstate": delta.errors_by_sqlstate,
        }

    def _server_traffic(self, commits: int, rollbacks: int) -> dict[str, Any]:
        """pg_stat_database's transactions since the previous reading, as MetricSample fields."""
        if self.lifetime_transactions is None:
            self.lifetime_transactions = (commits, rollbacks)
        delta = server_delta(self._last_server, (commits, rollbacks))
        self._last_server = (commits, rollbacks)
        return {} if delta is None else {"db_commits": delta[0], "db_rollbacks": delta[1]}

    def _database_sample(self, at: datetime, elapsed: float, step: str) -> MetricSample:
        try:
            conn = self._connection()
        except psycopg.Error as error:
            return MetricSample(at=at, elapsed_s=elapsed, step=step, connection_error=_describe(error)[1])
        started = time.perf_counter()
        replicas: list[ReplicaLag] = []
        slots: list[SlotLag] = []
        try:
            # One transaction: pg_stat_activity is read once per transaction, so the waiters and the
            # sessions they wait for come from the same moment (a blocker cannot look already idle).
            with conn.transaction():
                counts = read_counts(conn)
                lock_waits = read_lock_waits(conn, self._lock_waits_sql)
                blocker_pids = sorted({pid for wait in lock_waits for pid in wait.blocked_by})
                blockers = read_sessions(conn, blocker_pids)
                commits, rollbacks, in_recovery = read_server_traffic(conn)
                if not in_recovery:
                    replicas, slots = read_replicas(conn), read_slots(conn)
        except psycopg.Error as error:
            if _is_broken(conn):
                self._disconnect()
                return MetricSample(at=at, elapsed_s=elapsed, step=step, connection_error=_describe(error)[1])
            # The server answered but too slowly (statement_timeout): that is a finding, not a lost link.
            sqlstate, described = _describe(error)
            failed = ProbeResult(
                name=ACTIVITY_PROBE,
                latency_ms=(time.perf_counter() - started) * 1000,
                sqlstate=sqlstate,
                error=described,
            )
            return MetricSample(at=at, elapsed_s=elapsed, step=step, probes=[failed], monitor_rollbacks=1)
        try:
            probes = [self._probe(conn, name, text) for name, text in self.probe_queries.items()]
        except psycopg.Error as error:
            self._disconnect()
            return MetricSample(at=at, elapsed_s=elapsed, step=step, connection_error=_describe(error)[1])
        failed_probes = sum(1 for probe in probes if not probe.ok)
        return MetricSample(
            at=at,
            elapsed_s=elapsed,
            step=step,
            max_connections=self._max_connections,
            lock_waits=lock_waits,
            blockers=blockers,
            probes=probes,
            # Each probe runs in its own autocommit transaction: the monitor's share of pg_stat_database.
            monitor_commits=1 + len(probes) - failed_probes,
            monitor_rollbacks=failed_probes,
            replicas=replicas,
            slots=slots,
            **self._server_traffic(commits, rollbacks),
            **counts,
        )

    def _probe(self, conn: psycopg.Connection, name: str, text: str) -> ProbeResult:
        """Time one probe; a database error is the probe's, a broken connection is the sampler's."""
        started = time.perf_counter()
        try:
            with conn.cursor() as cur:
                cur.execute(text)
                cur.fetchall()
        except psycopg.Error as error:
            if _is_broken(conn):
                raise
            sqlstate, described = _describe(error)
            latency_ms = (time.perf_counter() - started) * 1000
            return ProbeResult(name=name, latency_ms=latency_ms, sqlstate=sqlstate, error=described)
        return ProbeResult(name=name, latency_ms=(time.perf_counter() - started) * 1000)

    def _connection(self) -> psycopg.Connection:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        options = (
            f"-c statement_timeout={self.statement_timeout_ms} -c lock_timeout={self.probe_lock_timeout_ms}"
            " -c default_transaction_read_only=on -c idle_in_transaction_session_timeout=5000"
        )
        conn = psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=self.connect_timeout_s,
            application_name=self.application_name,
            options=options,
        )
        conn.prepare_threshold = None  # a probe must not become a cached plan that a DDL invalidates
        self._conn = conn
        self._backend_pid = conn.info.backend_pid
        self.connects += 1
        self._lock_waits_sql = lock_waits_query(conn.info.server_version)
        self._max_connections = read_max_connections(conn)
        return conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):  # already broken: nothing left to close cleanly
                conn.close()
