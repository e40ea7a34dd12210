from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "table-wide-update"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "verb", "table"),
    [
        ("UPDATE posts SET status = 'published';", "UPDATE", "public.posts"),
        ("UPDATE blog.posts p SET status = u.name FROM users u;", "UPDATE", "blog.posts"),
        ("DELETE FROM posts;", "DELETE", "public.posts"),
        ("DELETE FROM posts USING users;", "DELETE", "public.posts"),
    ],
)
def test_statement_without_where_is_an_error(sql: str, verb: str, table: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert f"{verb} without WHERE touches every row of {table}" in finding.message
    assert "locked until COMMIT" in finding.message and "bloat" in finding.message
    assert "batches by primary-key range" in finding.fix and "10000" in finding.fix


def test_severity_follows_the_table_size(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE empty_t (id bigint PRIMARY KEY, v int)")
    conn.execute("CREATE TABLE small_t (id bigint PRIMARY KEY, v int)")
    conn.execute("CREATE TABLE big_t (id bigint PRIMARY KEY, v int)")
    conn.execute("INSERT INTO small_t SELECT g, g FROM generate_series(1, 100) g")
    conn.execute("INSERT INTO big_t SELECT g, g FROM generate_series(1, 20000) g")
    conn.execute("ANALYZE small_t, big_t")
    snapshot = introspect(conn)
    [finding] = _findings("UPDATE big_t SET v = 0;", snapshot=snapshot)
    assert finding.severity is Severity.ERROR and "~20,000 rows" in finding.message
    [finding] = _findings("DELETE FROM small_t;", snapshot=snapshot)
    assert finding.severity is Severity.WARNING
    [finding] = _findings("UPDATE empty_t SET v = 0;", snapshot=snapshot)
    assert finding.severity is Severity.INFO


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE posts SET status = 'published' WHERE id >= 1 AND id < 10001;",
        "DELETE FROM posts WHERE id = 1;",
        "CREATE TABLE staging (id bigint, v int);\nUPDATE staging SET v = 0;",
        "CREATE TABLE staging (id bigint, v int);\nDELETE FROM staging;",
        "SELECT * FROM posts FOR UPDATE;",
        "INSERT INTO posts (title) SELECT name FROM users;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
