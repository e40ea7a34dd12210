"""Condense a run of samples into the handful of figures that thresholds and reports talk about.

One function so that the verdict and the report can never disagree about what "the median latency of
that step" was. A probe that hit its own lock_timeout stands for an application read that would have
waited that long: it counts as latency (at the time it waited), not as an error; probes that failed for
another reason (a missing column, a broken plan) are the errors. Latency is judged per probe, worst probe
first, because a pile-up on one table must not be averaged away by the tables nobody is touching.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pydantic import BaseModel, Field

from zdt.monitor.models import LockWait, MetricSample


class WindowFigures(BaseModel):
    samples: int = 0
    start_s: float | None = None
    end_s: float | None = None
    probes: int = 0
    probe_errors: int = 0
    probe_timeouts: int = 0
    error_rate: float = 0.0
    latency_median_ms: float | None = Field(
        default=None, description="Median latency of the worst probe (highest median) in the window."
    )
    slowest_probe: str | None = None
    latency_max_ms: float | None = None
    longest_lock_wait_s: float = 0.0
    worst_lock_wait: LockWait | None = None
    max_sessions_waiting: int = 0
    connection_failures: int = 0
    last_connection_error: str | None = None
    max_connections: int = 0
    max_connection_use: float = 0.0
    connection_limit: int = 0
    max_active_sessions: int = 0
    max_idle_in_transaction: int = 0
    longest_idle_in_transaction_s: float = 0.0
    errors_by_probe: dict[str, int] = Field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        if self.start_s is None or self.end_s is None:
            return 0.0
        return self.end_s - self.start_s


def summarise(samples: Sequence[MetricSample]) -> WindowFigures:
    """The figures of ``samples`` (any slice: a throttle window, a step, the whole run)."""
    if not samples:
        return WindowFigures()
    healthy = [sample for sample in samples if sample.ok]
    probes = [probe for sample in healthy for probe in sample.probes]
    latencies: dict[str, list[float]] = {}
    for probe in probes:
        if probe.ok or probe.timed_out:
            latencies.setdefault(probe.name, []).append(probe.latency_ms)
    medians = {name: statistics.median(values) for name, values in latencies.items()}
    slowest = max(medians, key=lambda name: medians[name], default=None)
    errors = [probe for probe in probes if not probe.ok and not probe.timed_out]
    errors_by_probe: dict[str, int] = {}
    for probe in errors:
        errors_by_probe[probe.name] = errors_by_probe.get(probe.name, 0) + 1
    waits = [wait for sample in healthy for wait in sample.lock_waits]
    worst = max(waits, key=lambda wait: wait.wait_s, default=None)
    failures = [sample for sample in samples if not sample.ok]
    busiest = max(healthy, key=lambda sample: sample.connection_use, default=None)
    return WindowFigures(
        samples=len(samples),
        start_s=samples[0].elapsed_s,
        end_s=samples[-1].elapsed_s,
        probes=len(probes),
        probe_errors=len(errors),
        probe_timeouts=sum(1 for probe in probes if probe.timed_out),
        error_rate=len(errors) / len(probes) if probes else 0.0,
        latency_median_ms=medians[slowest] if slowest is not None else None,
        slowest_probe=slowest,
        latency_max_ms=max((max(values) for values in latencies.values()), default=None),
        longest_lock_wait_s=worst.wait_s if worst else 0.0,
        worst_lock_wait=worst,
        max_sessions_waiting=max((sample.sessions_waiting for sample in healthy), default=0),
        connection_failures=len(failures),
        last_connection_error=failures[-1].connection_error if failures else None,
        max_connections=max((sample.connections for sample in healthy), default=0),
        max_connection_use=busiest.connection_use if busiest else 0.0,
        connection_limit=busiest.max_connections if busiest else 0,
        max_active_sessions=max((sample.active_sessions for sample in healthy), default=0),
        max_idle_in_transaction=max((sample.idle_in_transaction for sample in healthy), default=0),
        longest_idle_in_transaction_s=max(
            (sample.longest_idle_in_transaction_s for sample in healthy), default=0.0
        ),
        errors_by_probe=errors_by_probe,
    )
