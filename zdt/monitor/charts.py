"""The three charts of the monitoring report, as data: latency, lock waits, connections over time.

When they were measured, the application's errors per second join the connections chart and the worst
replica's replay lag joins the lock waits chart (both are seconds-or-counts scales already), so a reader
sees errors and lag against the same step boundaries without a fourth picture.

Built once from the samples and drawn twice (inline SVG always, PNG when matplotlib is importable), so
both pictures show exactly the same series. A point whose value is None (the sampler's connection was
down) breaks the line instead of drawing a misleading zero.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from zdt.monitor.models import Mark, MetricSample

Point = tuple[float, float | None]


class Series(BaseModel):
    name: str
    points: list[Point] = Field(default_factory=list)


class Chart(BaseModel):
    name: str = Field(description="File stem of the PNG, e.g. 'latency'.")
    title: str
    y_label: str
    series: list[Series] = Field(default_factory=list)
    marks: list[Mark] = Field(default_factory=list)
    alarms: list[float] = Field(default_factory=list, description="Times (s) of alarmed verdicts.")
    baseline: float | None = Field(default=None, description="Horizontal reference line, if any.")


def _probe_series(samples: Sequence[MetricSample]) -> list[Series]:
    names = list(dict.fromkeys(probe.name for sample in samples for probe in sample.probes))
    series = []
    for name in names:
        points: list[Point] = []
        for sample in samples:
            probe = next((p for p in sample.probes if p.name == name), None)
            usable = probe is not None and (probe.ok or probe.timed_out)
            points.append((sample.elapsed_s, probe.latency_ms if usable and probe else None))
        series.append(Series(name=name, points=points))
    return series


def _metric(samples: Sequence[MetricSample], name: str, attribute: str) -> Series:
    return Series(
        name=name,
        points=[(s.elapsed_s, float(getattr(s, attribute)) if s.ok else None) for s in samples],
    )


def _app_errors_per_s(samples: Sequence[MetricSample]) -> Series | None:
    """Each sample's application errors over the time since the previous sample; None if never measured."""
    if all(sample.app_errors is None for sample in samples):
        return None
    points: list[Point] = []
    for previous, sample in zip([None, *samples[:-1]], samples, strict=True):
        span = sample.elapsed_s - previous.elapsed_s if previous is not None else 0.0
        rate = sample.app_errors / span if sample.app_errors is not None and span > 0 else None
        points.append((sample.elapsed_s, rate))
    return Series(name="app errors/s", points=points)


def _replica_lag(samples: Sequence[MetricSample]) -> Series | None:
    if not any(sample.replicas for sample in samples):
        return None
    points: list[Point] = []
    for sample in samples:
        lags = [r.replay_lag_s for r in sample.replicas if r.replay_lag_s is not None]
        points.append((sample.elapsed_s, max(lags) if lags else None))
    return Series(name="replica lag (s)", points=points)


def build_charts(
    samples: Sequence[MetricSample],
    marks: Sequence[Mark],
    baseline: float | None = None,
    alarms: Sequence[float] = (),
) -> list[Chart]:
    marks, alarms = list(marks), list(alarms)
    return [
        Chart(
            name="latency",
            title="Probe latency",
            y_label="ms",
            series=_probe_series(samples),
            baseline=baseline,
            marks=marks,
            alarms=alarms,
        ),
        Chart(
            name="lock_waits",
            title="Lock waits",
            y_label="seconds / sessions",
            series=[
                _metric(samples, "longest lock wait (s)", "longest_lock_wait_s"),
                _metric(samples, "sessions waiting", "sessions_waiting"),
                *[series for series in [_replica_lag(samples)] if series is not None],
            ],
            marks=marks,
            alarms=alarms,
        ),
        Chart(
            name="connections",
            title="Connections",
            y_label="sessions",
            series=[
                _metric(samples, "connections (server)", "connections"),
                _metric(samples, "active", "active_sessions"),
                _metric(samples, "idle in transaction", "idle_in_transaction"),
                Series(
                    name="connection failures",
                    points=[(s.elapsed_s, 0.0 if s.ok else 1.0) for s in samples],
                ),
                *[series for series in [_app_errors_per_s(samples)] if series is not None],
            ],
            marks=marks,
            alarms=alarms,
        ),
    ]
