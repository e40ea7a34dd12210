"""APP-COMPATIBILITY.md and MIGRATION-MONITORING.md as the graph writes them.

Why small and here: the seed's four agents each kept one document; the plan and the log already have
their writers (zdt.reports, the executor's log). These two record what the graph's nodes found, in the
same plain Markdown, so ``zdt watch`` and a reviewer read all four side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zdt.compat import CompatibilityResult, write_compatibility_report
from zdt.compat.boundaries import BoundaryReport
from zdt.graph.state import utc_now
from zdt.rehearsal.charts import write_traffic_charts
from zdt.rehearsal.traffic import TrafficReport
from zdt.sessions.scratchpads import MONITORING_MD


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def write_compatibility(
    out_dir: Path,
    session_id: str,
    brain: str,
    result: CompatibilityResult,
    where: str,
    boundaries: BoundaryReport | None = None,
) -> Path:
    """APP-COMPATIBILITY.md through zdt.compat's report, labelled with this session's databases."""
    return write_compatibility_report(
        out_dir,
        result,
        old_label="old schema (target)",
        new_label="new schema (migrated copy)",
        source=f"session {session_id}, compatibility agent ({brain}), new schema on {where}",
        boundaries=boundaries,
    )


def append_monitoring(out_dir: Path, title: str, summary: dict[str, Any]) -> Path:
    """Add one section per watched run (rehearsal, production, verification) to MIGRATION-MONITORING.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MONITORING_MD
    lines = [""] if path.exists() else ["# Migration monitoring", ""]
    final = summary.get("final") or {}
    lines += [f"## {title} ({utc_now()})", "", f"- verdict: **{summary.get('level', 'ok')}**"]
    if summary.get("watched", True) and summary.get("baseline_ms") is not None:
        lines.append(
            f"- samples: {summary.get('samples', 0)}, baseline probe latency: {summary['baseline_ms']} ms"
        )
    if summary.get("pauses"):
        lines.append(f"- executor pauses asked for: {summary['pauses']}")
    if final:
        lines.append(f"- last window: {final.get('summary', '')}")
    if summary.get("stopped_for"):
        lines.append(f"- STOPPED the run: {summary['stopped_for']}")
    for alarm in summary.get("alarms", []):
        said = alarm.get("verdict", {}).get("summary", "")
        lines.append(f"  - {alarm.get('elapsed_s') or 0:.1f} s: {said} -> {alarm.get('action', '')}")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\n")
    return path


def append_traffic(out_dir: Path, title: str, report: TrafficReport) -> Path:
    """What the application's load went through (rehearsal): windows, notes, findings, into MONITORING.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MONITORING_MD
    lines = [""] if path.exists() else ["# Migration monitoring", ""]
    lines += [f"### {title}: the application's load", ""]
    if report.ran:
        prepared = "on" if report.prepared_statements else "off"
        lines += [
            f"{report.rate:g} requests/s over {report.connections} connections, server-side prepared "
            f"statements {prepared}; queries: {', '.join(f'`{_cell(q)}`' for q in report.queries)}.",
            "",
            "| window | requests | errors | p50 ms | p99 ms | max ms | over 1 s | longest stall ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, window in (("before", report.baseline), ("during", report.during), ("after", report.after)):
            if window is not None:
                lines.append(
                    f"| {name} | {window.requests} | {window.errors} | {window.p50_ms} | {window.p99_ms} | "
                    f"{window.max_ms} | {window.over_1s} | {window.longest_stall_ms} |"
                )
        lines.append("")
    charts = write_traffic_charts(out_dir, report)
    lines += [f"![{chart.name}]({chart.name})" for chart in charts] + ([""] if charts else [])
    lines += [f"- {_cell(note)}" for note in report.notes]
    lines += [f"- **{finding.kind}**: {_cell(finding.sentence())}" for finding in report.findings]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\n")
    return path
