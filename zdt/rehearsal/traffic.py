"""Run the application's load beside a rehearsal and say what it went through, step by step.

Why a rehearsal needs traffic at all: a plan can be correct on an idle copy and still hurt the
application — a lock held a second too long, a prepared statement that stops working. Those show only
with requests in flight, so the rehearsal runs the plan while an open-loop load (a child process, so the
executor's Python work is never charged to the database) sends the application's queries with psycopg's
default server-side prepared statements, and records per-second throughput, latency, errors by SQLSTATE
and sessions waiting on locks. The load starts before the plan (a baseline, and time for psycopg to
prepare its statements) and goes on after it (``settle_s``): the prepared-statement trap shows *after* a
step, for as long as clients keep their connections.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pydantic import BaseModel, Field

from zdt.load import LiveCounts, LoadConfig, LoadProcess, LoadProcessError, LoadResult, Workload
from zdt.rehearsal.traps import TrafficFinding, find_traffic_findings

APPLICATION_NAME = "zdt-rehearsal-load"
MIGRATION_START = "migration-start"
MIGRATION_END = "migration-end"


@dataclass(frozen=True)
class TrafficSettings:
    """How much application traffic a rehearsal runs under (small: the copy is usually a laptop-sized one)."""

    enabled: bool = True
    rate: float = 200.0  # requests per second, open loop
    connections: int = 4
    warmup_s: float = 1.5  # baseline, and enough executions per connection for psycopg to prepare
    settle_s: float = 3.0  # traffic after the plan: a broken prepared statement fails from here on
    max_duration_s: float = 3600.0  # the load stops here even if the plan is still running
    prepare_threshold: int | None = 5  # psycopg's default: what applications run with
    sample_rows: int = 1000  # rows per table copied into an embedded copy, so reads and updates hit rows


class WindowFigures(BaseModel):
    """The application's experience in one stretch of the run."""

    start_s: float
    end_s: float
    requests: int
    errors: int
    errors_by_sqlstate: dict[str, int] = Field(default_factory=dict)
    p50_ms: float
    p99_ms: float
    max_ms: float
    over_1s: int
    longest_stall_ms: float
    longest_lock_wait_ms: float


class TrafficReport(BaseModel):
    """What the load measured around the rehearsal: the series, three windows, and findings."""

    rate: float
    connections: int
    prepared_statements: bool
    queries: list[str]
    notes: list[str] = Field(default_factory=list)
    marks: list[tuple[str, float]] = Field(default_factory=list, description="(step, seconds since start)")
    per_second: list[dict[str, Any]] = Field(default_factory=list)
    baseline: WindowFigures | None = None
    during: WindowFigures | None = None
    after: WindowFigures | None = None
    error_messages: dict[str, str] = Field(default_factory=dict)
    findings: list[TrafficFinding] = Field(default_factory=list)

    @classmethod
    def empty(cls, reason: str, notes: list[str] | None = None) -> TrafficReport:
        """No load ran; ``reason`` says why."""
        return cls(
            rate=0.0, connections=0, prepared_statements=False, queries=[], notes=[*(notes or []), reason]
        )

    @property
    def ran(self) -> bool:
        return self.during is not None

    @property
    def ok(self) -> bool:
        """No request failed during the plan or after it."""
        return not self.findings

    def summary(self) -> str:
        if self.during is None:
            return "no application load ran"
        during, baseline = self.during, self.baseline
        after = (
            f"{self.after.errors} in the {self.after.end_s - self.after.start_s:.0f} s after"
            if self.after
            else ""
        )
        return (
            f"{during.requests} requests at {self.rate:g}/s during the plan, {during.errors} failed "
            f"({after}); p99 {during.p99_ms:.1f} ms "
            f"(baseline {baseline.p99_ms if baseline else 0:.1f} ms), max {during.max_ms:.1f} ms"
        )


def _figures(result: LoadResult, start: float, end: float) -> WindowFigures:
    window = result.window(start, end)
    return WindowFigures(
        start_s=round(window.start, 3),
        end_s=round(window.end, 3),
        requests=window.requests,
        errors=window.errors,
        errors_by_sqlstate=window.errors_by_sqlstate,
        p50_ms=round(window.p50_ms, 2),
        p99_ms=round(window.p99_ms, 2),
        max_ms=round(window.max_ms, 2),
        over_1s=window.over_threshold,
        longest_stall_ms=round(window.longest_stall_ms, 1),
        longest_lock_wait_ms=round(window.longest_lock_wait_ms, 1),
    )


class TrafficFeed:
    """What a monitor reads the application's live counts from; points at the load while one runs.

    The monitor is started before the load (it takes the baseline) and outlives it, so it holds this
    rather than the load itself.
    """

    def __init__(self) -> None:
        self.source: RehearsalTraffic | None = None
        self.last: RehearsalTraffic | None = None  # the last load that ran: its report, after a failure too

    def __call__(self) -> LiveCounts:
        source = self.source
        return source.live_counts() if source is not None else LiveCounts()


class RehearsalTraffic:
    """Use as a context manager around the plan's run; ``mark`` each step; ``report()`` afterwards."""

    def __init__(
        self, url: str, workload: Workload | None, settings: TrafficSettings, notes: list[str] | None = None
    ) -> None:
        self.settings = settings
        self.workload = workload
        self.notes = list(notes or [])
        self._marks: list[tuple[str, float]] = []
        self._process: LoadProcess | None = None
        self._result: LoadResult | None = None
        if workload is not None and settings.enabled:
            config = LoadConfig(
                rate=settings.rate,
                connections=settings.connections,
                duration_s=settings.max_duration_s,
                drain_s=10.0,
                prepare_threshold=settings.prepare_threshold,
                application_name=APPLICATION_NAME,
            )
            self._process = LoadProcess(url, [workload], config)

    @property
    def running(self) -> bool:
        return self._process is not None

    def __enter__(self) -> RehearsalTraffic:
        if self._process is not None:
            self._process.start()
            time.sleep(self.settings.warmup_s)
        self.mark(MIGRATION_START)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is None or self._result is not None:
            return
        self.mark(MIGRATION_END)
        if exc is None:
            time.sleep(self.settings.settle_s)
        try:
            self._result = self._process.stop()
        except LoadProcessError:
            if exc is None:
                raise
            self._process.close()  # already failing: keep that error, not the load's

    def mark(self, label: str) -> None:
        """A step boundary, in wall time (converted to the load's clock in the report)."""
        self._marks.append((label, time.time()))

    def live_counts(self) -> LiveCounts:
        """Requests and failures so far: what the monitor judges the application's error rate by."""
        return self._process.live_counts() if self._process is not None else LiveCounts()

    def report(self) -> TrafficReport:
        if self._result is None:
            reason = "traffic disabled" if not self.settings.enabled else "no query could be loaded"
            return TrafficReport.empty(reason, self.notes)
        result = self._result
        marks = [(label, round(result.offset(wall), 3)) for label, wall in self._marks]
        start = next(offset for label, offset in marks if label == MIGRATION_START)
        end = next((offset for label, offset in marks if label == MIGRATION_END), result.duration_s)
        step_marks = [
            (label, offset) for label, offset in marks if label not in (MIGRATION_START, MIGRATION_END)
        ]
        return TrafficReport(
            rate=self.settings.rate,
            connections=self.settings.connections,
            prepared_statements=self.settings.prepare_threshold is not None,
            queries=[query.name for query in self.workload.queries] if self.workload else [],
            notes=self.notes,
            marks=marks,
            per_second=[vars(second) for second in result.per_second()],
            baseline=_figures(result, 0.0, start),
            during=_figures(result, start, end),
            after=_figures(result, end, float("inf")),
            error_messages=result.error_messages,
            findings=find_traffic_findings(result, start, step_marks),
        )
