from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "adding-required-column"


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD COLUMN age integer NOT NULL;",
        "ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT NULL;",
        "ALTER TABLE users ADD COLUMN age integer CHECK (age > 0) NOT NULL;",
        "ALTER TABLE users ADD COLUMN flag boolean, ADD COLUMN age integer NOT NULL;",
        "ALTER TABLE users ADD COLUMN age integer PRIMARY KEY;",
    ],
)
def test_not_null_without_default_is_flagged(sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert "public.users.age" in finding.message and "column contains null values" in finding.message
    assert "DEFAULT" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD COLUMN age integer;",
        "ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0;",
        "ALTER TABLE users ADD COLUMN age integer DEFAULT 0 NOT NULL;",
        "ALTER TABLE users ADD COLUMN n bigserial NOT NULL;",
        "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY NOT NULL;",
        "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS (id * 2) STORED;",
        "CREATE TABLE tags (id bigint);\nALTER TABLE tags ADD COLUMN name text NOT NULL;",
    ],
)
def test_columns_that_get_a_value_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


@pytest.mark.parametrize(
    ("version", "expected", "absent"),
    [
        (10, "before PostgreSQL 11", "SET NOT NULL;"),
        (11, "before PostgreSQL 12, SET NOT NULL always scans", "NOT NULL age NOT VALID"),
        (15, "SET NOT NULL; (no scan", "NOT NULL age NOT VALID"),
        (18, "ADD CONSTRAINT users_age_not_null NOT NULL age NOT VALID", "CHECK (age IS NOT NULL)"),
    ],
)
def test_fix_follows_the_server_version(version: int, expected: str, absent: str) -> None:
    [finding] = findings(RULE, "ALTER TABLE users ADD COLUMN age integer NOT NULL;", pg_version=version)
    assert expected in finding.fix
    assert absent not in finding.fix


def test_an_empty_table_lowers_the_severity_but_still_warns(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE empty (id bigint); CREATE TABLE full_one (id bigint);"
        "INSERT INTO full_one VALUES (1); ANALYZE full_one;",
    )
    [on_empty] = findings(RULE, "ALTER TABLE empty ADD COLUMN n int NOT NULL;", snapshot=snapshot)
    [on_full] = findings(RULE, "ALTER TABLE full_one ADD COLUMN n int NOT NULL;", snapshot=snapshot)
    assert on_empty.severity is Severity.WARNING and "only while the table is empty" in on_empty.message
    assert on_full.severity is Severity.ERROR
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("ALTER TABLE full_one ADD COLUMN n int NOT NULL")
