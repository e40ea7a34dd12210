"""MIGRATION-MONITORING.md (and .html with inline SVG charts, plus PNGs when matplotlib is there).

The Markdown is what the seed workflow's Monitoring agent hands over: the baseline, figures per step,
every alarm with the action taken. The HTML carries the same tables and the charts, drawn without any
dependency, so a reviewer sees *when* latency rose relative to the step boundaries. The HTML goes through
its own autoescaping jinja2 environment: step labels, probe names and query texts come from plans, agents
and pg_stat_activity, and must never become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel

from zdt.agents.results import MonitorVerdict
from zdt.monitor.charts import build_charts
from zdt.monitor.figures import WindowFigures, summarise
from zdt.monitor.models import LockWait, Mark, MetricSample, RecordedVerdict, SessionInfo
from zdt.monitor.png import write_png_charts
from zdt.monitor.svg import render_svg
from zdt.monitor.thresholds import Thresholds, judge
from zdt.reports.render import render_template

MARKDOWN_NAME = "MIGRATION-MONITORING.md"
HTML_NAME = "MIGRATION-MONITORING.html"


class StepFigures(BaseModel):
    """One step's slice of the run: its figures and the level the thresholds give it as a whole."""

    label: str
    figures: WindowFigures
    level: str


class LockWaitSeen(BaseModel):
    """A waiting session at the worst moment it was seen, with what it waited behind."""

    wait: LockWait
    step: str
    blockers: list[SessionInfo]


def _html_environment() -> Environment:
    return Environment(
        loader=PackageLoader("zdt.reports", "templates"),
        undefined=StrictUndefined,
        autoescape=True,  # this environment renders HTML only
        trim_blocks=True,
        lstrip_blocks=True,
    )


def step_figures(
    samples: Sequence[MetricSample], baseline: float | None, thresholds: Thresholds
) -> list[StepFigures]:
    """Consecutive runs of samples with the same step label, in time order."""
    runs: list[list[MetricSample]] = []
    for sample in samples:
        if runs and runs[-1][-1].step == sample.step:
            runs[-1].append(sample)
        else:
            runs.append([sample])
    return [
        StepFigures(
            label=run[0].step,
            figures=summarise(run),
            level=judge(run, baseline, thresholds).level,
        )
        for run in runs
    ]


def lock_waits_seen(samples: Sequence[MetricSample]) -> list[LockWaitSeen]:
    """Each waiting pid once, at its longest observed wait."""
    worst: dict[int, LockWaitSeen] = {}
    for sample in samples:
        for wait in sample.lock_waits:
            seen = worst.get(wait.pid)
            if seen is None or wait.wait_s > seen.wait.wait_s:
                blockers = [b for b in sample.blockers if b.pid in wait.blocked_by]
                worst[wait.pid] = LockWaitSeen(wait=wait, step=sample.step, blockers=blockers)
    return sorted(worst.values(), key=lambda seen: -seen.wait.wait_s)


def _recorded(verdicts: Sequence[RecordedVerdict | MonitorVerdict]) -> list[RecordedVerdict]:
    return [v if isinstance(v, RecordedVerdict) else RecordedVerdict(verdict=v) for v in verdicts]


def _context(
    samples: Sequence[MetricSample],
    marks: Sequence[Mark],
    verdicts: list[RecordedVerdict],
    baseline: float | None,
    thresholds: Thresholds,
) -> dict[str, Any]:
    failures = [sample for sample in samples if not sample.ok]
    return {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "started": samples[0].at.strftime("%Y-%m-%d %H:%M:%S UTC") if samples else "no samples",
        "overall": summarise(samples),
        "baseline": baseline,
        "thresholds": thresholds,
        "marks": list(marks),
        "steps": step_figures(samples, baseline, thresholds),
        "verdicts": verdicts,
        "alarms": [v for v in verdicts if v.verdict.level != "ok"],
        "lock_waits": lock_waits_seen(samples),
        "connection_failures": failures,
    }


def write_monitoring_report(
    out_dir: Path,
    samples: Sequence[MetricSample],
    marks: Sequence[Mark],
    verdicts: Sequence[RecordedVerdict | MonitorVerdict],
    baseline: float | None,
    thresholds: Thresholds | None = None,
) -> list[Path]:
    """Write the report into ``out_dir``; return [Markdown, HTML, *PNG charts]."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recorded = _recorded(verdicts)
    context = _context(samples, marks, recorded, baseline, thresholds or Thresholds())
    alarms = [v.elapsed_s for v in recorded if v.verdict.level != "ok" and v.elapsed_s is not None]
    charts = build_charts(samples, marks, baseline, alarms)
    images = write_png_charts(out_dir, charts)
    markdown = out_dir / MARKDOWN_NAME
    markdown.write_text(
        render_template(
            "migration_monitoring.md.j2",
            images=[path.name for path in images],
            html_name=HTML_NAME,
            **context,
        )
    )
    html = out_dir / HTML_NAME
    template = _html_environment().get_template("migration_monitoring.html.j2")
    svgs = [Markup(render_svg(chart)) for chart in charts]  # our own markup, labels escaped inside
    html.write_text(template.render(svgs=svgs, **context))
    return [markdown, html, *images]
