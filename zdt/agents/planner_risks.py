"""Deterministic risk notes for a proposed migration, from the analyser's reports.

Two kinds of risk the seed workflow cares about and a reviewer must see even without a model: data
integrity on civic, payment and authentication tables (named by convention), and lock time, which grows
with a table's size when a statement rewrites or scans it under a lock that blocks traffic.
"""

from __future__ import annotations

import re
from typing import Any

SENSITIVE_TABLES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"election|candidate|vote|voting|ballot", re.IGNORECASE),
        "civic data (elections, candidates, voting records): verify no row is lost or altered, and keep "
        "the old shape readable until every client has moved",
    ),
    (
        re.compile(r"payment|billing|invoice|transaction|charge|refund", re.IGNORECASE),
        "payment data: back up before the contract phase, never rewrite stored amounts or details, and "
        "keep an audit trail of every change",
    ),
    (
        re.compile(
            r"(^|_)(users?|auth\w*|sessions?|accounts?|credentials?|passwords?|tokens?)($|_)", re.IGNORECASE
        ),
        "user authentication data: a lock or a broken constraint here stops logins; protect secrets and "
        "check that existing sessions keep working",
    ),
]

LARGE_ROWS = 1_000_000
LARGE_BYTES = 1 << 30  # 1 GiB
MEDIUM_ROWS = 100_000


def sensitive_notes(tables: list[str]) -> list[str]:
    notes = []
    for table in sorted(set(tables)):
        bare = table.rsplit(".", 1)[-1]
        for pattern, note in SENSITIVE_TABLES:
            if pattern.search(bare):
                notes.append(f"{table}: {note}.")
                break
    return notes


def lock_notes(report: dict[str, Any]) -> list[str]:
    """Lock-time notes for one analyser report (JSON form), from the target table's size."""
    size = report.get("size") or {}
    rows, size_bytes = int(size.get("rows", 0)), int(size.get("bytes", 0))
    if not (report.get("blocks_reads") or report.get("blocks_writes")):
        return []
    if not (report.get("rewrites_table") or report.get("scans_table")):
        return []
    if rows < MEDIUM_ROWS and size_bytes < LARGE_BYTES // 10:
        return []
    what = "rewrites" if report.get("rewrites_table") else "scans"
    blocked = "reads and writes" if report.get("blocks_reads") else "writes"
    scale = "large" if rows >= LARGE_ROWS or size_bytes >= LARGE_BYTES else "sizeable"
    table = size.get("table", report.get("target"))
    return [
        f"{_where(report)} {what} the {scale} table "
        f"{table} (~{rows} rows, {size_bytes} bytes) while blocking {blocked} "
        f"under {report.get('lock')}: lock time grows with size; the safe recipe must avoid it."
    ]


def _where(report: dict[str, Any]) -> str:
    return f"statement {report.get('index', 0) + 1} (line {report.get('line', '?')})"


def finding_notes(report: dict[str, Any]) -> list[str]:
    return [
        f"{_where(report)}: [{f['rule']}] {f['message']}"
        for f in report.get("findings", [])
        if f.get("severity") == "error"
    ]


def risks_from_reports(reports: list[dict[str, Any]]) -> list[str]:
    tables = [table for report in reports for table in report.get("tables", [])]
    risks = sensitive_notes(tables)
    for report in reports:
        risks.extend(lock_notes(report))
        risks.extend(finding_notes(report))
    return risks
