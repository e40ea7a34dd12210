"""What a load run measured: every request, windows of them, and a per-second series.

Latency is measured from each request's *intended* start (the open-loop schedule), not from when a
connection got round to sending it: when the server stalls, requests pile up behind the stall and each
one's latency includes the time it spent waiting to be sent. Measuring from the actual send would hide
the stall (coordinated omission): the connections were all blocked, so nothing was "slow" except the few
requests that were in flight.

Every request is kept (as compact parallel arrays) rather than pre-aggregated, so that any window — the
migration, the ten seconds after it, one second of the series — is computed from the same data.
"""

from __future__ import annotations

import bisect
import itertools
import math
from array import array
from dataclasses import dataclass, field

from zdt.load.lockwaits import LockWaitLog


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class WindowStats:
    """Requests whose intended start fell in [start, end) (seconds since t0), latencies in ms."""

    start: float
    end: float
    requests: int
    ok: int
    errors: int
    errors_by_sqlstate: dict[str, int]
    unsent: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    over_threshold: int
    threshold_ms: float
    longest_stall_ms: float
    longest_lock_wait_ms: float
    max_waiting_on_locks: int
    by_kind: dict[str, int]

    @property
    def failed(self) -> int:
        """Requests that did not succeed: errors, and those the run ended before sending."""
        return self.errors + self.unsent


@dataclass
class SecondStats:
    """One second of the series: ``completed`` by completion time, the rest by intended start."""

    second: int
    scheduled: int
    completed: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    waiting_on_locks: int


@dataclass
class LoadResult:
    """All requests of one run, sorted by intended start; times in seconds since ``t0_wall``."""

    t0_wall: float
    rate: float
    connections: int
    query_names: list[str]
    query_kinds: list[str]
    sqlstates: list[str]
    intended: array  # float seconds
    started: array
    ended: array
    query: array  # index into query_names
    error: array  # 0: ok; n: sqlstates[n - 1]
    unsent: int
    unsent_intended: array
    error_messages: dict[str, str] = field(default_factory=dict)
    lock_waits: LockWaitLog | None = None
    workload_switches: list[tuple[float, str]] = field(default_factory=list)
    gc_pauses: list[tuple[float, float]] = field(default_factory=list)  # the generator's own (at, seconds)

    # --- time ------------------------------------------------------------------------------------

    def offset(self, wall: float) -> float:
        """A ``time.time()`` instant as seconds since the run's start."""
        return wall - self.t0_wall

    @property
    def duration_s(self) -> float:
        return self.intended[-1] if len(self.intended) else 0.0

    # --- totals ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.intended)

    def count_by_query(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for index in self.query:
            name = self.query_names[index]
            counts[name] = counts.get(name, 0) + 1
        return counts

    def count_by_kind(self, start: float = float("-inf"), end: float = float("inf")) -> dict[str, int]:
        first, last = self._span(start, end)
        counts: dict[str, int] = {}
        for i in range(first, last):
            kind = self.query_kinds[self.query[i]]
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def errors_by_sqlstate(self, start: float = float("-inf"), end: float = float("inf")) -> dict[str, int]:
        first, last = self._span(start, end)
        counts: dict[str, int] = {}
        for i in range(first, last):
            code = self.error[i]
            if code:
                state = self.sqlstates[code - 1]
                counts[state] = counts.get(state, 0) + 1
        return counts

    def errors_by_query(
        self, start: float = float("-inf"), end: float = float("inf"), *, sqlstate: str | None = None
    ) -> dict[str, int]:
        """Failed requests per query name (optionally of one SQLSTATE): who has to change, or reconnect."""
        first, last = self._span(start, end)
        counts: dict[str, int] = {}
        for i in range(first, last):
            code = self.error[i]
            if code and (sqlstate is None or self.sqlstates[code - 1] == sqlstate):
                name = self.query_names[self.query[i]]
                counts[name] = counts.get(name, 0) + 1
        return counts

    def first_error_at(self, sqlstate: str, start: float = float("-inf")) -> float | None:
        """Intended start of the first request failing with ``sqlstate`` at or after ``start``."""
        first, last = self._span(start, float("inf"))
        for i in range(first, last):
            code = self.error[i]
            if code and self.sqlstates[code - 1] == sqlstate:
                return float(self.intended[i])
        return None

    def latencies_ms(self, start: float = float("-inf"), end: float = float("inf")) -> list[float]:
        """Latency from intended start to completion of every request in the window, ascending."""
        first, last = self._span(start, end)
        return sorted((self.ended[i] - self.intended[i]) * 1000 for i in range(first, last))

    # --- windows ---------------------------------------------------------------------------------

    def window(
        self, start: float = float("-inf"), end: float = float("inf"), *, threshold_ms: float = 1000.0
    ) -> WindowStats:
        """Statistics of the requests intended in [start, end) (offsets; see ``offset``)."""
        first, last = self._span(start, end)
        latencies = self.latencies_ms(start, end)
        errors = self.errors_by_sqlstate(start, end)
        lo = max(start, 0.0)
        hi = min(end, self.duration_s)
        unsent_before = bisect.bisect_left(self.unsent_intended, start)
        unsent = bisect.bisect_left(self.unsent_intended, end) - unsent_before
        waits = self.lock_waits
        return WindowStats(
            start=lo,
            end=hi,
            requests=last - first,
            ok=last - first - sum(errors.values()),
            errors=sum(errors.values()),
            errors_by_sqlstate=errors,
            unsent=unsent,
            p50_ms=percentile(latencies, 0.50),
            p99_ms=percentile(latencies, 0.99),
            max_ms=latencies[-1] if latencies else 0.0,
            over_threshold=len(latencies) - bisect.bisect_right(latencies, threshold_ms),
            threshold_ms=threshold_ms,
            longest_stall_ms=self.longest_stall_s(lo, hi) * 1000,
            longest_lock_wait_ms=(waits.longest_stretch_s(lo, hi) * 1000) if waits else 0.0,
            max_waiting_on_locks=waits.max_waiting(lo, hi) if waits else 0,
            by_kind=self.count_by_kind(start, end),
        )

    def longest_stall_s(self, start: float, end: float) -> float:
        """The longest time within [start, end] during which no request completed (ok or not)."""
        completions = sorted(t for t in self.ended if start <= t <= end)
        edges = [start, *completions, end]
        return max((b - a for a, b in itertools.pairwise(edges)), default=0.0)

    def per_second(self) -> list[SecondStats]:
        """The run second by second: throughput, latency percentiles, errors, sessions waiting on locks."""
        # The series runs until the last request completed: a backlog that drains after the schedule
        # ended still belongs in the throughput figures.
        last_end = max(self.ended, default=0.0)
        seconds = math.ceil(max(self.duration_s, last_end)) if len(self) else 0
        completed = [0] * (seconds + 1)
        for t in self.ended:
            if t >= 0:
                completed[min(int(t), seconds)] += 1
        waits = self.lock_waits
        series = []
        for second in range(seconds):
            first, last = self._span(second, second + 1)
            latencies = sorted((self.ended[i] - self.intended[i]) * 1000 for i in range(first, last))
            series.append(
                SecondStats(
                    second=second,
                    scheduled=last - first,
                    completed=completed[second],
                    p50_ms=percentile(latencies, 0.50),
                    p99_ms=percentile(latencies, 0.99),
                    max_ms=latencies[-1] if latencies else 0.0,
                    errors=sum(1 for i in range(first, last) if self.error[i]),
                    waiting_on_locks=waits.max_waiting(second, second + 1) if waits else 0,
                )
            )
        return series

    def _span(self, start: float, end: float) -> tuple[int, int]:
        return bisect.bisect_left(self.intended, start), bisect.bisect_left(self.intended, end)
