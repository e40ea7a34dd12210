from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "ban-alter-domain-add-constraint"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        (
            "ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
            "ADD CONSTRAINT email_has_at",
        ),
        ("ALTER DOMAIN public.email_address ADD CHECK (VALUE <> '');", "ADD CONSTRAINT"),
        ("ALTER DOMAIN email_address ADD CONSTRAINT email_nn NOT NULL;", "ADD CONSTRAINT email_nn"),
        ("ALTER DOMAIN email_address SET NOT NULL;", "SET NOT NULL"),
    ],
)
def test_validating_domain_changes_are_errors(sql: str, what: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert f"ALTER DOMAIN public.email_address {what} checks every stored value" in finding.message
    assert "ShareLock" in finding.message
    assert "NOT VALID" in finding.fix and "VALIDATE CONSTRAINT" in finding.fix
    assert ("CHECK (VALUE IS NOT NULL) NOT VALID" in finding.fix) == ("NOT NULL" in sql)


def test_the_snapshot_names_every_column_of_the_domain(conn: psycopg.Connection) -> None:
    conn.execute("CREATE DOMAIN email_address AS text")
    conn.execute("CREATE TABLE users (id bigint, email email_address, backup_emails email_address[])")
    conn.execute("CREATE TABLE invites (id bigint, sent_to email_address)")
    conn.execute("CREATE TABLE notes (id bigint, body text)")
    snapshot = introspect(conn)
    [finding] = _findings("ALTER DOMAIN email_address ADD CHECK (VALUE LIKE '%@%');", snapshot=snapshot)
    for column in ("public.users.email", "public.users.backup_emails", "public.invites.sent_to"):
        assert column in finding.message
    assert "notes" not in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;",
        "ALTER DOMAIN email_address VALIDATE CONSTRAINT email_has_at;",
        "ALTER DOMAIN email_address DROP CONSTRAINT email_has_at;",
        "ALTER DOMAIN email_address DROP NOT NULL;",
        "ALTER DOMAIN email_address SET DEFAULT '';",
        "ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email LIKE '%@%') NOT VALID;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
