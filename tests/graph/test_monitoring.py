"""The monitor beside a run: it slows the executor while alarmed and stops it when critical too long.

Why: the monitor library's throttle pauses for as long as the database is critical, which on its own
would hold a migration forever; the graph bounds that wait so the session can roll back instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from zdt.graph.monitoring import MonitorCritical, Watch
from zdt.graph.progress import Progress
from zdt.monitor import MonitorVerdict


@dataclass
class _StubThrottle:
    level: str
    pauses: int = 0

    def __call__(self) -> float:
        self.last_verdict = MonitorVerdict(level=self.level, summary=f"{self.level}: lock waits 9 s")  # type: ignore[arg-type]
        return 0.5 if self.level != "ok" else 0.0


def test_a_critical_database_stops_the_run_after_the_grace_period(target_url: str) -> None:
    watch = Watch(target_url, ["public.users"], Progress("test"), critical_grace_s=0.0)
    watch._throttle = _StubThrottle("critical")  # type: ignore[assignment]

    with pytest.raises(MonitorCritical, match="lock waits 9 s"):
        watch.throttle()
    assert watch.stopped_for == "critical: lock waits 9 s"


def test_an_alarm_below_critical_only_pauses(target_url: str) -> None:
    watch = Watch(
        target_url, ["public.users", "public.not_created_yet"], Progress("test"), critical_grace_s=0.0
    )
    assert list(watch.sampler.probe_queries) == ["public.users"], "no probe of a table that does not exist"
    watch._throttle = _StubThrottle("throttle")  # type: ignore[assignment]

    assert watch.throttle() == 0.5


def test_a_watched_run_reports_its_samples(target_url: str) -> None:
    with Watch(target_url, ["public.users"], Progress("test"), interval_s=0.05) as watch:
        assert watch.throttle() == 0.0
    summary = watch.summary()
    assert summary["watched"] and summary["samples"] >= 2 and summary["level"] == "ok"
