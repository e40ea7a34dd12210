"""``zdt lint --format gitlab``: a GitLab Code Quality report (a JSON list of issues).

The fingerprint hashes the file, the rule and the statement's text (whitespace collapsed), not its line,
so an issue keeps its identity when lines are added above it; the same statement twice in one file is
told apart by its occurrence number.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from zdt.analysis.model import Severity
from zdt.cli.reporters.base import LintRun, issues, message_with_fix

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def fingerprint(path: str, rule: str, sql: str, occurrence: int = 0) -> str:
    key = "\0".join([path, rule, " ".join(sql.split()), str(occurrence)])
    return hashlib.sha256(key.encode()).hexdigest()


def render_gitlab(run: LintRun) -> str:
    seen: Counter[tuple[str, str, str]] = Counter()
    report = []
    for issue in issues(run):
        key = (issue.path, issue.finding.rule, " ".join(issue.statement.sql.split()))
        occurrence = seen[key]
        seen[key] += 1
        report.append(
            {
                "description": message_with_fix(issue.finding),
                "check_name": issue.finding.rule,
                "fingerprint": fingerprint(*key, occurrence),
                "severity": SEVERITIES[issue.finding.severity],
                "location": {"path": issue.path, "lines": {"begin": issue.line}},
            }
        )
    return json.dumps(report, indent=2)
