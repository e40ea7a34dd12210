"""``zdt lint --format`` reporters, one module each; a reporter turns a :class:`LintRun` into text.

``text`` is the human one (``zdt/cli/lint_render.py``, printed with rich); the others are listed here by
format name and print exactly what they return.
"""

from __future__ import annotations

from zdt.cli.reporters.base import Issue, LintedFile, LintRun, Reporter, issues
from zdt.cli.reporters.github import render_github
from zdt.cli.reporters.gitlab import render_gitlab
from zdt.cli.reporters.json_format import render_json, to_json
from zdt.cli.reporters.sarif import render_sarif

REPORTERS: dict[str, Reporter] = {
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
    "gitlab": render_gitlab,
}

__all__ = ["REPORTERS", "Issue", "LintRun", "LintedFile", "Reporter", "issues", "to_json"]
