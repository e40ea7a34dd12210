"""Charts of what the application's load went through during a rehearsal, second by second.

Why beside the monitor's charts: the monitor sees the database (probes, locks, sessions); these show the
application's side of the same minutes — requests completed, p99 and worst latency, failures, sessions
waiting on locks — with the plan's steps marked, so a reader can point at the step that hurt. Drawn with
the monitor's chart model and SVG renderer, written as files beside the Markdown that links them.
"""

from __future__ import annotations

from pathlib import Path

from zdt.monitor.charts import Chart, Series
from zdt.monitor.models import Mark
from zdt.monitor.svg import render_svg
from zdt.rehearsal.traffic import TrafficReport


def _series(report: TrafficReport, name: str, key: str) -> Series:
    return Series(
        name=name, points=[(float(second["second"]), float(second[key])) for second in report.per_second]
    )


def traffic_charts(report: TrafficReport) -> list[Chart]:
    """Throughput and failures in one chart, latency in another; empty when no load ran."""
    if not report.per_second:
        return []
    marks = [Mark(label=label, elapsed_s=offset) for label, offset in report.marks]
    return [
        Chart(
            name="load_requests",
            title="Application requests per second",
            y_label="requests",
            series=[
                _series(report, "completed", "completed"),
                _series(report, "failed", "errors"),
                _series(report, "sessions waiting on locks", "waiting_on_locks"),
            ],
            marks=marks,
        ),
        Chart(
            name="load_latency",
            title="Application latency per second (from each request's intended start)",
            y_label="ms",
            series=[
                _series(report, "p50", "p50_ms"),
                _series(report, "p99", "p99_ms"),
                _series(report, "max", "max_ms"),
            ],
            marks=marks,
            baseline=report.baseline.p99_ms if report.baseline else None,
        ),
    ]


def write_traffic_charts(out_dir: Path, report: TrafficReport) -> list[Path]:
    """One SVG file per chart in ``out_dir``; returns their paths (none when no load ran)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for chart in traffic_charts(report):
        path = out_dir / f"rehearsal-{chart.name}.svg"
        path.write_text(render_svg(chart), encoding="utf-8")
        paths.append(path)
    return paths
