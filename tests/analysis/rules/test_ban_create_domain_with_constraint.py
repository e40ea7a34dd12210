from __future__ import annotations

import pytest

from zdt.analysis import Finding, Severity, analyse_sql

RULE = "ban-create-domain-with-constraint"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "domain"),
    [
        ("CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');", "public.email_address"),
        ("CREATE DOMAIN app.positive AS int NOT NULL CONSTRAINT positive CHECK (VALUE > 0);", "app.positive"),
        (
            "CREATE DOMAIN code AS text DEFAULT 'x' CHECK (VALUE <> '') CHECK (length(VALUE) < 9);",
            "public.code",
        ),
    ],
)
def test_domain_with_check_is_a_warning(sql: str, domain: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.WARNING
    assert f"domain {domain} carries a CHECK constraint" in finding.message
    assert "NOT VALID" in finding.fix and "VALIDATE CONSTRAINT" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE DOMAIN email_address AS text;",
        "CREATE DOMAIN email_address AS text NOT NULL DEFAULT '';",
        'CREATE DOMAIN email_address AS text COLLATE "C";',
        "CREATE TABLE users (id bigint, email text CHECK (email LIKE '%@%'));",
        "CREATE TYPE mood AS ENUM ('happy', 'sad');",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
