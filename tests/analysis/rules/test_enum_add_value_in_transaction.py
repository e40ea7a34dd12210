from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "enum-add-value-in-transaction"

IN_BLOCK = [
    "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;",
    "START TRANSACTION;\nALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'calm' BEFORE 'sad';\nCOMMIT;",
    "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\n"
    "ALTER TYPE mood ADD VALUE 'calm' AFTER 'happy';\nCOMMIT;",
]


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize("sql", IN_BLOCK)
@pytest.mark.parametrize("pg_version", [9, 10, 11])
def test_before_postgresql_12_it_fails(sql: str, pg_version: int) -> None:
    [finding] = _findings(sql, pg_version=pg_version)
    assert finding.severity is Severity.ERROR
    assert "public.mood" in finding.message and "'calm'" in finding.message
    assert f"PostgreSQL {pg_version}" in finding.message
    assert "outside BEGIN ... COMMIT" in finding.fix


@pytest.mark.parametrize("sql", IN_BLOCK)
@pytest.mark.parametrize("pg_version", [12, 15, 18])
def test_from_postgresql_12_the_new_value_waits_for_commit(sql: str, pg_version: int) -> None:
    [finding] = _findings(sql, pg_version=pg_version)
    assert finding.severity is Severity.INFO
    assert "public.mood" in finding.message and "unsafe use of new value" in finding.message


def test_the_snapshot_server_version_decides(conn: psycopg.Connection, server_version: int) -> None:
    conn.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
    [finding] = _findings(IN_BLOCK[0], snapshot=introspect(conn))
    assert finding.severity is (Severity.INFO if server_version >= 12 else Severity.ERROR)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TYPE mood ADD VALUE 'calm';",
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nCOMMIT;\nALTER TYPE mood ADD VALUE 'calm';",
        "BEGIN;\nALTER TYPE mood RENAME VALUE 'sad' TO 'blue';\nCOMMIT;",
    ],
)
@pytest.mark.parametrize("pg_version", [11, 18])
def test_safe_forms_are_not_flagged(sql: str, pg_version: int) -> None:
    assert _findings(sql, pg_version=pg_version) == []
