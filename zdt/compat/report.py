"""APP-COMPATIBILITY.md: the verdict, every query on both schemas, what the code must change, and when.

The seed's Application Compatibility agent documents its findings here; the people deploying the
application read it to learn which queries to fix and in which order to ship code and schema phases.
It can be written from a bare CompatibilityResult (what a checkpointed session holds) or, better, with
the per-query comparisons, which add names, file lines, result-shape changes and advice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from zdt.compat.advice import deployment_order, what_to_change
from zdt.compat.boundaries import BoundaryReport
from zdt.compat.checks import QueryComparison
from zdt.compat.result import CompatibilityResult
from zdt.reports.render import render_template

REPORT_NAME = "APP-COMPATIBILITY.md"
QUERY_CHARS = 160


class QueryRow(BaseModel):
    number: int
    label: str
    query: str
    sql: str = ""
    old: str
    new: str
    error: str
    status: str
    changes: list[str] = Field(default_factory=list)
    advice: str = ""


def _cell(text: str | None, limit: int | None = None) -> str:
    """One Markdown table cell: one line, pipes escaped, optionally shortened."""
    flat = " ".join((text or "").split()).replace("|", "\\|")
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def _mark(ok: bool | None) -> str:
    return "not checked" if ok is None else ("ok" if ok else "**fails**")


def _rows(result: CompatibilityResult, comparisons: Sequence[QueryComparison] | None) -> list[QueryRow]:
    if comparisons:
        return [
            QueryRow(
                number=number,
                label=_cell(c.query.label),
                query=_cell(c.query.sql, QUERY_CHARS),
                sql=c.query.sql,
                old=_mark(None if c.old.refused else c.old.ok),
                new=_mark(None if c.new.refused else c.new.ok),
                error=_cell(c.new.error or (f"old schema: {c.old.error}" if c.old.error else "")),
                status=c.status,
                changes=[_cell(change) for change in c.result_changes],
                advice=what_to_change(c),
            )
            for number, c in enumerate(comparisons, start=1)
        ]
    return [
        QueryRow(
            number=number,
            label=_cell(check.label) if check.label else f"query {number}",
            query=_cell(check.query, QUERY_CHARS),
            sql=check.query,
            old=_mark(check.old_schema_ok),
            new=_mark(check.new_schema_ok),
            error=_cell(check.error),
            status="passes" if check.new_schema_ok else "fails",
        )
        for number, check in enumerate(result.checks, start=1)
    ]


def render_compatibility_markdown(
    result: CompatibilityResult,
    comparisons: Sequence[QueryComparison] | None = None,
    *,
    old_label: str = "old schema",
    new_label: str = "new schema",
    source: str | None = None,
    boundaries: BoundaryReport | None = None,
) -> str:
    rows = _rows(result, comparisons)
    return render_template(
        "app_compatibility.md.j2",
        result=result,
        rows=rows,
        to_change=[row for row in rows if row.advice],
        order=deployment_order(result),
        old_label=old_label,
        new_label=new_label,
        source=source,
        boundaries=boundaries,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def write_compatibility_report(
    out_dir: Path,
    result: CompatibilityResult,
    comparisons: Sequence[QueryComparison] | None = None,
    *,
    old_label: str = "old schema",
    new_label: str = "new schema",
    source: str | None = None,
    boundaries: BoundaryReport | None = None,
) -> Path:
    """Write APP-COMPATIBILITY.md into ``out_dir``; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    path.write_text(
        render_compatibility_markdown(
            result,
            comparisons,
            old_label=old_label,
            new_label=new_label,
            source=source,
            boundaries=boundaries,
        )
    )
    return path
