"""Shared by the per-rule test modules: run the analyser and keep one rule's findings."""

from __future__ import annotations

import psycopg

from zdt.analysis import Finding, analyse_sql
from zdt.schema import SchemaSnapshot, introspect


def findings(rule_id: str, sql: str, **options: object) -> list[Finding]:
    """Findings of ``rule_id`` for the whole script (options go to analyse_sql)."""
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == rule_id]


def snapshot_after(conn: psycopg.Connection, setup: str) -> SchemaSnapshot:
    """Run ``setup`` on the test's fresh database, then read its schema as the analyser would."""
    conn.execute(setup)
    return introspect(conn)
