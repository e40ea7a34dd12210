"""``zdt lint --format json``: every statement's report with its file (a documented contract)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from zdt.analysis.model import StatementReport
from zdt.cli.reporters.base import LintRun

if TYPE_CHECKING:  # lint_trace imports psycopg and the embedded server: --trace only
    from zdt.cli.lint_trace import StatementTrace


def to_json(
    results: list[tuple[str, list[StatementReport]]],
    traces: dict[tuple[str, int], StatementTrace] | None = None,
) -> str:
    statements = []
    for name, reports in results:
        for report in reports:
            entry = {**report.model_dump(mode="json"), "file": name}
            traced = traces.get((name, report.index)) if traces is not None else None
            if traced is not None:
                entry["trace"] = {
                    **traced.result.model_dump(mode="json", exclude={"sql"}),
                    "where": traced.where,
                    "disagreements": traced.disagreements,
                }
            statements.append(entry)
    return json.dumps({"statements": statements}, indent=2)


def render_json(run: LintRun) -> str:
    return to_json(run.results, run.traces)
