"""The executor's ``throttle`` hook, driven by the sampler: pause while the latest window is alarmed.

The executor consults the hook before each step and between backfill batches, and again after every pause,
so returning a pause for as long as the window is over the throttle level holds the migration until the
database has recovered, without the executor knowing anything about monitoring. A critical window also
pauses (going on would make things worse); deciding to roll back is the Monitoring agent's call, made from
the verdicts recorded here. The server-side rollback rate is judged over ``server_window_s`` (several
seconds: pg_stat_database lags up to a second), everything else over ``window_s``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from zdt.monitor.models import MonitorVerdict, RecordedVerdict
from zdt.monitor.sampler import MetricsSampler
from zdt.monitor.thresholds import Thresholds, judge

MAX_RECORDED = 1000


class MonitorThrottle:
    """Callable as ``throttle=`` of ``apply_plan``/``rollback_migration``: seconds to pause, 0 to go on.

    Every alarmed verdict, and the first ok after an alarm, is kept in ``verdicts`` with the action taken
    (the monitoring report lists them). ``integrity_failures`` is polled on each call when given.
    """

    def __init__(
        self,
        sampler: MetricsSampler,
        thresholds: Thresholds | None = None,
        *,
        baseline: float | None = None,
        rollback_baseline: float | None = None,
        integrity_failures: Callable[[], int] | None = None,
        on_verdict: Callable[[RecordedVerdict], None] | None = None,
    ) -> None:
        self.sampler = sampler
        self.thresholds = thresholds or Thresholds()
        self._baseline = baseline
        self._rollback_baseline = rollback_baseline
        self._integrity_failures = integrity_failures
        self._on_verdict = on_verdict
        self._lock = threading.Lock()
        self.verdicts: list[RecordedVerdict] = []
        self.last_verdict: MonitorVerdict | None = None
        self.pauses = 0

    def baseline(self) -> float | None:
        return self._baseline if self._baseline is not None else self.sampler.baseline()

    def rollback_baseline(self) -> float | None:
        if self._rollback_baseline is not None:
            return self._rollback_baseline
        return self.sampler.rollback_baseline(self.thresholds.rollback_min_transactions)

    def verdict(self) -> MonitorVerdict:
        """The verdict on the latest window, without recording anything."""
        t = self.thresholds
        window = self.sampler.recent(t.window_s)
        failures = self._integrity_failures() if self._integrity_failures else 0
        return judge(
            window,
            self.baseline(),
            t,
            integrity_failures=failures,
            rollback_baseline=self.rollback_baseline(),
            server_samples=self.sampler.recent(t.server_window_s),
        )

    def __call__(self) -> float:
        verdict = self.verdict()
        pause = self.thresholds.pause_s if verdict.level != "ok" else 0.0
        with self._lock:
            previous = self.last_verdict
            self.last_verdict = verdict
            recovered = verdict.level == "ok" and previous is not None and previous.level != "ok"
            if pause:
                self.pauses += 1
                action = f"paused the executor {pause:g} s"
            elif recovered:
                action = "recovered: the executor goes on"
            else:
                return 0.0
            record = RecordedVerdict(elapsed_s=self.sampler.elapsed_s(), verdict=verdict, action=action)
            self.verdicts.append(record)
            del self.verdicts[:-MAX_RECORDED]
        if self._on_verdict is not None:
            self._on_verdict(record)
        return pause
