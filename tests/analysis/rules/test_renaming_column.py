from __future__ import annotations

import pytest

from zdt.analysis import Finding, Severity, analyse_sql

RULE = "renaming-column"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("ALTER TABLE users RENAME COLUMN name TO full_name;", "public.users"),
        ("ALTER TABLE users RENAME name TO full_name;", "public.users"),
        ("ALTER TABLE IF EXISTS ONLY users RENAME COLUMN name TO full_name;", "public.users"),
        ("ALTER TABLE app.users RENAME COLUMN name TO full_name;", "app.users"),
        ("ALTER VIEW user_names RENAME COLUMN name TO full_name;", "public.user_names"),
    ],
)
def test_rename_column_is_an_error_naming_table_and_both_columns(sql: str, table: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert f"{table}.name" in finding.message and "full_name" in finding.message
    assert "ADD COLUMN full_name" in finding.fix and "trigger" in finding.fix
    assert "backfill" in finding.fix and "drop name" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE accounts (id bigint, name text);\nALTER TABLE accounts RENAME COLUMN name TO label;",
        "ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_pkey;",
        "ALTER TABLE users ADD COLUMN full_name text;",
        "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
