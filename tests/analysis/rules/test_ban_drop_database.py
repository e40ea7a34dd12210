from __future__ import annotations

import pytest

from zdt.analysis import Finding, Severity, analyse_sql

RULE = "ban-drop-database"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    "sql",
    [
        "DROP DATABASE legacy_reports;",
        "DROP DATABASE IF EXISTS legacy_reports;",
        "DROP DATABASE legacy_reports WITH (FORCE);",
        'DROP DATABASE "legacy_reports";',
    ],
)
def test_drop_database_is_an_error_naming_it(sql: str) -> None:
    [finding] = _findings(sql, pg_version=15)
    assert finding.severity is Severity.ERROR
    assert "DROP DATABASE legacy_reports" in finding.message
    assert "REVOKE CONNECT ON DATABASE legacy_reports" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "DROP SCHEMA archive CASCADE;",
        "DROP TABLE posts;",
        "CREATE DATABASE reports;",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'legacy_reports';",
    ],
)
def test_other_statements_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
