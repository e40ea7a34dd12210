"""``zdt lint --format sarif``: a SARIF 2.1.0 log (one run) for code-scanning uploads.

Each rule that has a result gets a ``rules`` entry (its summary, and docs/rules.md#<id> for help); each
finding is a result with the rule, its level, the message and fix, and the statement's start.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import zdt
from zdt.analysis.model import Severity
from zdt.analysis.rules import RULES_BY_ID
from zdt.cli.reporters.base import Issue, LintRun, issues, message_with_fix

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
RULES_DOC = "docs/rules.md"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule_id: str) -> dict[str, object]:
    rule = RULES_BY_ID.get(rule_id)
    return {
        "id": rule_id,
        "shortDescription": {"text": rule.summary if rule is not None else rule_id},
        "helpUri": f"{RULES_DOC}#{rule_id}",
    }


def _location(issue: Issue) -> dict[str, object]:
    artifact: dict[str, object]
    if issue.path.startswith("/"):
        artifact = {"uri": Path(issue.path).as_uri()}
    else:
        artifact = {"uri": quote(issue.path), "uriBaseId": SRCROOT}
    region = {"startLine": issue.line, "startColumn": issue.column}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def render_sarif(run: LintRun) -> str:
    found = list(issues(run))
    rule_ids = sorted({issue.finding.rule for issue in found})
    index = {rule_id: number for number, rule_id in enumerate(rule_ids)}
    results = [
        {
            "ruleId": issue.finding.rule,
            "ruleIndex": index[issue.finding.rule],
            "level": LEVELS[issue.finding.severity],
            "message": {"text": message_with_fix(issue.finding)},
            "locations": [_location(issue)],
        }
        for issue in found
    ]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "zdt",
                        "version": zdt.__version__,  # read when a SARIF log is written
                        "rules": [_rule(rule_id) for rule_id in rule_ids],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)
