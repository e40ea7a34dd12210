"""The monitor beside a run: a sampler on its own thread, the executor's throttle hook, the verdicts.

Why a wrapper around zdt.monitor: the graph needs three things the library leaves to its caller — marks
at each executor step (so the report can say which step hurt), a bound on how long a critical database
may hold the executor (the library's throttle pauses while critical; here a critical verdict that lasts
``critical_grace_s`` stops the run so the graph can roll back), and one JSON-safe summary for the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg

from zdt.executor import EventKind, ExecutionEvent
from zdt.graph.progress import Progress

try:  # the monitor library ships separately; without it a run is still verified, just not watched
    from zdt.monitor.figures import summarise
    from zdt.monitor.models import RecordedVerdict
    from zdt.monitor.probes import SERVER_PROBE, table_probes
    from zdt.monitor.report import write_monitoring_report
    from zdt.monitor.sampler import MIGRATION_START, MetricsSampler
    from zdt.monitor.throttle import MonitorThrottle

    MONITOR_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    MONITOR_AVAILABLE = False


class MonitorCritical(Exception):
    """The database stayed critical for longer than the grace period: stop, and let the graph roll back."""


def existing_tables(url: str, tables: Iterable[str]) -> list[str]:
    """The tables that exist now: a probe of a table the plan is about to create would only error."""
    names = sorted(set(tables))
    if not names:
        return []
    with psycopg.connect(url, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", [names]
        ).fetchall()
    return [row[0] for row in rows]


class Watch:
    """Use as a context manager around a run; pass ``throttle`` and ``on_event`` to the executor.

    Without the monitor library it watches nothing: ``throttle`` never pauses, ``summary`` says so.
    """

    def __init__(
        self,
        url: str,
        tables: Iterable[str],
        progress: Progress,
        *,
        interval_s: float = 0.2,
        critical_grace_s: float = 5.0,
        traffic: Callable[[], Any] | None = None,
        mark_start: bool = True,
    ) -> None:
        self._progress = progress
        self._critical_since: float | None = None
        self._grace_s = critical_grace_s
        self.stopped_for: str | None = None
        self._mark_start = mark_start
        self.enabled = MONITOR_AVAILABLE
        if self.enabled:
            probes = table_probes(existing_tables(url, tables)) or SERVER_PROBE
            self.sampler = MetricsSampler(url, probes, interval_s=interval_s, traffic=traffic)
            self._throttle = MonitorThrottle(self.sampler, on_verdict=self._report)

    def __enter__(self) -> Watch:
        if not self.enabled:
            self._progress("not_watching", reason="the monitor library (zdt.monitor) is not installed")
            return self
        self.sampler.start()
        self.sampler.wait_for_samples(2, timeout_s=5.0)  # a baseline before the first step
        if self._mark_start:
            self.start_migration()
        self._progress("watching", probes=len(self.sampler.probe_queries))
        return self

    def start_migration(self) -> None:
        """The baseline ends here: call it right before the first step (after any load has warmed up)."""
        if self.enabled:
            self.sampler.mark(MIGRATION_START)

    def observe_after(self, samples: int = 3, timeout_s: float = 5.0) -> None:
        """Go on sampling for ``samples`` more ticks once the run is over: what the database looks like
        right after the migration (connections, probe latency, errors), even for a run of milliseconds."""
        if self.enabled:
            self.sampler.wait_for_samples(len(self.sampler.samples) + samples, timeout_s=timeout_s)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.enabled:
            self.sampler.stop()

    def throttle(self) -> float:
        """The executor's throttle hook: pause while alarmed; raise MonitorCritical past the grace period."""
        if not self.enabled:
            return 0.0
        pause = self._throttle()
        verdict = self._throttle.last_verdict
        if verdict is None or verdict.level != "critical":
            self._critical_since = None
            return pause
        now = time.monotonic()
        self._critical_since = self._critical_since or now
        if now - self._critical_since >= self._grace_s:
            self.stopped_for = verdict.summary
            raise MonitorCritical(f"the monitor stopped the run: {verdict.summary}")
        return pause

    def on_event(self, event: ExecutionEvent) -> None:
        if not self.enabled:
            return
        if event.kind is EventKind.STEP_STARTED and event.step_id:
            self.sampler.mark(event.step_id)
        elif event.kind is EventKind.STEP_RETRY:  # the attempt that timed out was rolled back
            self.sampler.count_executor_rollbacks()

    def _report(self, record: RecordedVerdict) -> None:
        self._progress(
            "verdict", level=record.verdict.level, action=record.action, summary=record.verdict.summary
        )

    def summary(self) -> dict[str, Any]:
        """The run as the monitor saw it, JSON-safe: final verdict, alarms, pauses, sample count, and the
        run's figures after the baseline with the thresholds they are judged by (for the checklists)."""
        if not self.enabled:
            return {"level": "ok", "samples": 0, "pauses": 0, "alarms": [], "final": None, "watched": False}
        final = self._throttle.verdict() if self.sampler.samples else None
        levels = [record.verdict.level for record in self._throttle.verdicts]
        levels += [final.level] if final else []
        levels += ["critical"] if self.stopped_for else []
        worst = max(levels, key=["ok", "throttle", "critical"].index, default="ok")
        return {
            "watched": True,
            "level": worst,
            "samples": len(self.sampler.samples),
            "baseline_ms": self._throttle.baseline(),
            "pauses": self._throttle.pauses,
            "alarms": [record.model_dump(mode="json") for record in self._throttle.verdicts],
            "final": final.model_dump(mode="json") if final else None,
            "stopped_for": self.stopped_for,
            "figures": self._run_figures(),
            "thresholds": self._limits(),
        }

    def _run_figures(self) -> dict[str, Any]:
        """The figures of the whole run after the baseline (what the checklists judge), JSON-safe."""
        start = next((mark.elapsed_s for mark in self.sampler.marks if mark.label == MIGRATION_START), None)
        samples = [s for s in self.sampler.samples if start is None or s.elapsed_s >= start]
        figures = summarise(samples)
        keys = (
            "samples",
            "connection_failures",
            "last_connection_error",
            "latency_median_ms",
            "latency_max_ms",
            "slowest_probe",
            "probes",
            "probe_errors",
            "error_rate",
            "app_requests",
            "app_errors",
            "app_error_rate",
            "longest_lock_wait_s",
        )
        return figures.model_dump(mode="json", include=set(keys))

    def _limits(self) -> dict[str, Any]:
        """The thresholds the run was judged by, as the checklists name them."""
        t = self._throttle.thresholds
        return {
            "latency_increase": t.latency_increase_throttle,
            "latency_floor_ms": t.latency_floor_ms,
            "error_rate": t.error_rate_critical,
            "connection_failures": t.connection_failures_critical,
            "lock_wait_s": t.lock_wait_throttle_s,
        }

    def write_report(self, out_dir: Path) -> list[Path]:
        """The monitor library's full report (Markdown, HTML, charts) of this run into ``out_dir``."""
        if not self.enabled or not self.sampler.samples:
            return []
        return write_monitoring_report(
            out_dir,
            self.sampler.samples,
            self.sampler.marks,
            self._throttle.verdicts,
            self._throttle.baseline(),
        )
