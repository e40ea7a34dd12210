"""Which of the application's sessions wait on a lock, sampled from pg_stat_activity every few ms.

Latency says that traffic stalled; this says why. A DDL statement queued for ACCESS EXCLUSIVE shows up as
application sessions in ``wait_event_type = 'Lock'``, and the longest continuous stretch during which at
least one of them waits is the number lock_timeout is supposed to bound. Each wait is identified by its
``pg_locks.waitstart`` (PostgreSQL 14+), so its start is known exactly even though it is seen only when
sampled; its end is the last sample that still saw it (the stretch is short by at most one interval).

The sampler runs on its own autocommit connection with short timeouts: it reads only catalog views, so it
cannot queue behind the migration, and a slow sample never stops the load.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

_SAMPLE = """
SELECT a.pid, coalesce(w.waitstart, a.query_start, clock_timestamp())::text AS wait_key,
       greatest(extract(epoch FROM clock_timestamp()
                        - coalesce(w.waitstart, a.query_start, clock_timestamp())), 0)::float8 AS age_s,
       coalesce(w.locktype || ' ' || w.mode, '') AS lock
FROM pg_stat_activity a
LEFT JOIN LATERAL (
    SELECT {waitstart} AS waitstart, l.locktype, l.mode FROM pg_locks l
    WHERE l.pid = a.pid AND NOT l.granted LIMIT 1
) w ON true
WHERE a.application_name = %s AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
"""


def sample_query(server_version_num: int) -> str:
    return _SAMPLE.format(waitstart="l.waitstart" if server_version_num >= 140000 else "NULL::timestamptz")


@dataclass
class LockWait:
    """One session's wait for one lock: from when it began to the last sample that saw it."""

    pid: int
    start: float  # seconds since the run's t0
    last_seen: float
    lock: str


@dataclass
class LockWaitLog:
    """Samples (time, waiting sessions) and the waits they saw; times in seconds since the run's t0."""

    interval_s: float
    samples: list[tuple[float, int]] = field(default_factory=list)
    waits: list[LockWait] = field(default_factory=list)
    failed_samples: int = 0

    def stretches(self) -> list[tuple[float, float]]:
        """Maximal intervals during which at least one application session waited on a lock."""
        merged: list[tuple[float, float]] = []
        for wait in sorted(self.waits, key=lambda w: w.start):
            if merged and wait.start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], wait.last_seen))
            else:
                merged.append((wait.start, wait.last_seen))
        return merged

    def longest_stretch_s(self, start: float = float("-inf"), end: float = float("inf")) -> float:
        """The longest stretch, clipped to [start, end]."""
        longest = 0.0
        for first, last in self.stretches():
            longest = max(longest, min(last, end) - max(first, start))
        return longest

    def max_waiting(self, start: float = float("-inf"), end: float = float("inf")) -> int:
        return max((count for at, count in self.samples if start <= at < end), default=0)

    def locks_waited_for(self, start: float = float("-inf"), end: float = float("inf")) -> dict[str, int]:
        """How many waits there were per lock type and mode, e.g. {'relation AccessShareLock': 8}."""
        counts: dict[str, int] = {}
        for wait in self.waits:
            if wait.last_seen >= start and wait.start < end:
                counts[wait.lock] = counts.get(wait.lock, 0) + 1
        return counts


class LockWaitSampler:
    """Samples lock waits of the sessions named ``application_name`` on a background thread."""

    def __init__(
        self,
        url: str,
        application_name: str,
        t0: float,
        *,
        interval_s: float = 0.02,
        max_duration_s: float = 3600.0,
        max_samples: int = 500_000,
    ) -> None:
        self.url = url
        self.application_name = application_name
        self.t0 = t0  # time.perf_counter() of the run's start
        self.interval_s = interval_s
        self.max_duration_s = max_duration_s
        self.max_samples = max_samples
        self.log = LockWaitLog(interval_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn = psycopg.connect(
            url,
            autocommit=True,
            prepare_threshold=None,
            application_name="zdt-load-lockwaits",
            connect_timeout=10,
            options="-c lock_timeout=100 -c statement_timeout=1000",
        )
        self._query = sample_query(self._conn.info.server_version)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="zdt-load-lockwaits", daemon=True)
        self._thread.start()

    def stop(self) -> LockWaitLog:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._conn.close()
        return self.log

    def _run(self) -> None:
        current: dict[tuple[int, str], LockWait] = {}
        deadline = time.perf_counter() + self.max_duration_s
        while not self._stop.is_set() and time.perf_counter() < deadline:
            if len(self.log.samples) >= self.max_samples:
                break
            began = time.perf_counter()
            try:
                rows = self._conn.execute(self._query, (self.application_name,)).fetchall()
            except psycopg.Error:
                self.log.failed_samples += 1
                if self._conn.broken:
                    break
                rows = None
            now = time.perf_counter() - self.t0
            if rows is not None:
                self.log.samples.append((now, len(rows)))
                for pid, wait_key, age_s, lock in rows:
                    wait = current.get((pid, wait_key))
                    if wait is None:
                        wait = LockWait(pid=pid, start=now - age_s, last_seen=now, lock=lock)
                        current[(pid, wait_key)] = wait
                        self.log.waits.append(wait)
                    wait.last_seen = now
                seen = {(pid, key) for pid, key, _, _ in rows}
                for gone in [key for key in current if key not in seen]:
                    del current[gone]
            self._stop.wait(max(0.0, self.interval_s - (time.perf_counter() - began)))
