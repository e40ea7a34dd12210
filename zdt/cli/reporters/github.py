"""``zdt lint --format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=F,line=L,col=C,title=RULE::message`` (``warning``, ``notice`` for the other severities).
Escaping as GitHub's runner does it: ``%``, CR and LF in the message; also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from zdt.analysis.model import Severity
from zdt.cli.reporters.base import LintRun, issues, message_with_fix

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(run: LintRun) -> str:
    lines = []
    for issue in issues(run):
        properties = {
            "file": issue.path,
            "line": str(issue.line),
            "col": str(issue.column),
            "title": issue.finding.rule,
        }
        joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        message = escape_data(message_with_fix(issue.finding))
        lines.append(f"::{COMMANDS[issue.finding.severity]} {joined}::{message}")
    return "\n".join(lines)
