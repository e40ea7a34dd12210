"""MIGRATION-MONITORING.md (and .html with inline SVG charts, plus PNGs when matplotlib is there).

The Markdown is what the seed workflow's Monitoring agent hands over: the baseline, figures per step,
every alarm with the action taken. The HTML carries the same tables and the charts, drawn without any
dependency, so a reviewer sees *when* latency rose relative to the step boundaries. The HTML goes through
its own autoescaping jinja2 environment: step labels, probe names and query texts come from plans, agents
and pg_stat_activity, and must never become markup.

The application traffic and replication section is rendered here rather than in the shared templates:
it is the monitor's own addition, appended to both documents, its HTML through the same autoescaping
environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel

from zdt.monitor.charts import Chart, build_charts
from zdt.monitor.figures import WindowFigures, summarise
from zdt.monitor.models import LockWait, Mark, MetricSample, MonitorVerdict, RecordedVerdict, SessionInfo
from zdt.monitor.png import write_png_charts
from zdt.monitor.svg import render_svg
from zdt.monitor.thresholds import Thresholds, judge, top_sqlstates
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
    samples: Sequence[MetricSample],
    baseline: float | None,
    thresholds: Thresholds,
    *,
    rollback_baseline: float | None = None,
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
            level=judge(run, baseline, thresholds, rollback_baseline=rollback_baseline).level,
        )
        for run in runs
    ]


TRAFFIC_HTML = """
<h2>Application traffic and replication</h2>
<p>{{ overall_line }}</p>
<table>
<tr>{% for name in header %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in rows %}
<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</table>
"""

TRAFFIC_HEADER = [
    "step",
    "app requests/s",
    "app errors/s",
    "app errors (top SQLSTATEs)",
    "db commits/s",
    "db rollbacks/s",
    "max replica lag",
    "slot WAL (max)",
]


def _rate(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "n/a"


def _bytes(count: int | None) -> str:
    return f"{count / (1 << 20):.1f} MB" if count is not None else "n/a"


def traffic_row(label: str, figures: WindowFigures) -> list[str]:
    """One step's application, server-side and replication figures, as table cells (unescaped)."""
    errors = "n/a"
    if figures.app_requests is not None:
        errors = f"{figures.app_errors} of {figures.app_requests}"
        if figures.app_errors:
            errors += f" ({top_sqlstates(figures.app_errors_by_sqlstate)})"
    lag = "no standby"
    if figures.lagging_replica is not None and figures.max_replica_lag_s is not None:
        lag = f"{figures.max_replica_lag_s:.2f} s ({figures.lagging_replica.name})"
    slot = figures.fullest_slot
    return [
        label,
        _rate(figures.app_requests_per_s),
        _rate(figures.app_errors_per_s),
        errors,
        _rate(figures.db_commits_per_s),
        _rate(figures.db_rollbacks_per_s),
        lag,
        f"{_bytes(slot.retained_bytes)} ({slot.slot_name})" if slot is not None else "no slot",
    ]


def traffic_overall(figures: WindowFigures) -> str:
    if figures.app_requests is None:
        app = "Application traffic: not measured (no traffic source given to the sampler)."
    else:
        app = (
            f"Application traffic: {figures.app_requests} requests, {figures.app_errors} errors "
            f"({figures.app_error_rate * 100:.2f} %; top SQLSTATEs: "
            f"{top_sqlstates(figures.app_errors_by_sqlstate)})."
        )
    server = (
        f" Other sessions (pg_stat_database, the monitor excluded): {figures.db_commits} commits, "
        f"{figures.db_rollbacks} rollbacks."
        if figures.db_commits is not None
        else ""
    )
    return app + server


def _markdown_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def traffic_markdown(overall: WindowFigures, steps: Sequence[StepFigures]) -> str:
    """The Markdown section: step labels in code spans, so rows never read as the per-step table's."""
    lines = [
        "",
        "## Application traffic and replication",
        "",
        traffic_overall(overall),
        "",
        "| " + " | ".join(TRAFFIC_HEADER) + " |",
        "|" + "---|" * len(TRAFFIC_HEADER),
    ]
    for step in steps:
        label, *cells = traffic_row(step.label, step.figures)
        code = "`" + _markdown_cell(label).replace("`", "'") + "`"
        lines.append("| " + " | ".join([code, *(_markdown_cell(cell) for cell in cells)]) + " |")
    return "\n".join(lines) + "\n"


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
    rollback_baseline: float | None = None,
) -> dict[str, Any]:
    failures = [sample for sample in samples if not sample.ok]
    return {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "started": samples[0].at.strftime("%Y-%m-%d %H:%M:%S UTC") if samples else "no samples",
        "overall": summarise(samples),
        "baseline": baseline,
        "thresholds": thresholds,
        "marks": list(marks),
        "steps": step_figures(samples, baseline, thresholds, rollback_baseline=rollback_baseline),
        "verdicts": verdicts,
        "alarms": [v for v in verdicts if v.verdict.level != "ok"],
        "lock_waits": lock_waits_seen(samples),
        "connection_failures": failures,
    }


def _write_svg_charts(out_dir: Path, charts: Sequence[Chart]) -> list[Path]:
    paths = []
    for chart in charts:
        path = out_dir / f"monitoring-{chart.name}.svg"
        path.write_text(render_svg(chart), encoding="utf-8")
        paths.append(path)
    return paths


def write_monitoring_report(
    out_dir: Path,
    samples: Sequence[MetricSample],
    marks: Sequence[Mark],
    verdicts: Sequence[RecordedVerdict | MonitorVerdict],
    baseline: float | None,
    thresholds: Thresholds | None = None,
    *,
    rollback_baseline: float | None = None,
) -> list[Path]:
    """Write the report into ``out_dir``; return [Markdown, HTML, *SVG charts, *PNG charts].

    The charts are also written as image files beside the Markdown (SVG always, PNG when matplotlib is
    there), so a viewer of the Markdown alone — a code host, a ticket — shows them too.

    ``rollback_baseline`` (``MetricsSampler.rollback_baseline()``) lets each step's level include the
    server-side rollback rate; without it that check is left out, as in ``judge``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    recorded = _recorded(verdicts)
    context = _context(samples, marks, recorded, baseline, thresholds or Thresholds(), rollback_baseline)
    alarms = [v.elapsed_s for v in recorded if v.verdict.level != "ok" and v.elapsed_s is not None]
    charts = build_charts(samples, marks, baseline, alarms)
    svg_files = _write_svg_charts(out_dir, charts)
    images = [*svg_files, *write_png_charts(out_dir, charts)]
    markdown = out_dir / MARKDOWN_NAME
    text = render_template(
        "migration_monitoring.md.j2",
        images=[path.name for path in images],
        html_name=HTML_NAME,
        **context,
    )
    markdown.write_text(text.rstrip("\n") + "\n" + traffic_markdown(context["overall"], context["steps"]))
    html = out_dir / HTML_NAME
    environment = _html_environment()
    svgs = [Markup(path.read_text(encoding="utf-8")) for path in svg_files]  # ours, labels escaped inside
    page = environment.get_template("migration_monitoring.html.j2").render(svgs=svgs, **context)
    section = environment.from_string(TRAFFIC_HTML).render(
        overall_line=traffic_overall(context["overall"]),
        header=TRAFFIC_HEADER,
        rows=[traffic_row(step.label, step.figures) for step in context["steps"]],
    )
    head, body_end, tail = page.rpartition("</body>")
    html.write_text(head + section + body_end + tail if body_end else page + section)
    return [markdown, html, *images]
