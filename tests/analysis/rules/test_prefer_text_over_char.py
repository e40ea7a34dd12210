from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings
from zdt.analysis import Severity

RULE = "prefer-text-over-char"


@pytest.mark.parametrize(
    ("sql", "expected", "check"),
    [
        (
            "ALTER TABLE users ADD COLUMN country char(2);",
            "public.users.country is added as character(2)",
            "CHECK (char_length(country) <= 2)",
        ),
        (
            "CREATE TABLE codes (code character(10) PRIMARY KEY);",
            "public.codes.code is created as character(10)",
            "CHECK (char_length(code) <= 10)",
        ),
        (
            "ALTER TABLE users ALTER COLUMN name TYPE char(50);",
            "public.users.name is changed to character(50)",
            "CHECK (char_length(name) <= 50)",
        ),
        (
            "CREATE TABLE codes (flag char);",
            "public.codes.flag is created as character(1)",
            "CHECK (char_length(flag) <= 1)",
        ),
        ("CREATE TABLE codes (tags char(3)[]);", "public.codes.tags is created as character(3)[]", "text[]"),
    ],
)
def test_blank_padded_columns_are_flagged(sql: str, expected: str, check: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith(expected)
    assert finding.fix.startswith("use text") and check in finding.fix


def test_unbounded_bpchar_has_no_length_to_check() -> None:
    [finding] = findings(RULE, "CREATE TABLE codes (code bpchar);")
    assert "padded" not in finding.message and "CHECK" not in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD COLUMN country text;",
        "ALTER TABLE users ADD COLUMN country varchar(2);",
        'CREATE TABLE codes (code character varying(10), kind "char");',
        "ALTER TABLE users ALTER COLUMN name TYPE text;",
    ],
)
def test_text_varchar_and_internal_char_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_padding_is_real(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "SELECT octet_length('ab'::char(5)), 'ab'::char(5) = 'ab   '::char(5), 'ab'::char(5) || '!'"
    )
    assert row.fetchone() == (5, True, "ab!")
