from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "ban-truncate"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("TRUNCATE posts;", "public.posts"),
        ("TRUNCATE TABLE ONLY posts RESTART IDENTITY;", "public.posts"),
        ("TRUNCATE posts, users;", "public.posts, public.users"),
        ("TRUNCATE blog.posts RESTRICT;", "blog.posts"),
    ],
)
def test_truncate_is_a_warning_naming_the_tables(sql: str, tables: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.WARNING
    assert f"TRUNCATE {tables} takes AccessExclusiveLock" in finding.message
    assert "batches" in finding.fix


def test_cascade_is_an_error_naming_the_emptied_tables(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE users (id bigint PRIMARY KEY)")
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES users)")
    conn.execute("CREATE TABLE comments (id bigint, post_id bigint REFERENCES posts)")
    snapshot = introspect(conn)
    [finding] = _findings("TRUNCATE users CASCADE;", snapshot=snapshot)
    assert finding.severity is Severity.ERROR
    assert "CASCADE also empties public.posts" in finding.message
    assert "instead of CASCADE" in finding.fix
    [finding] = _findings("TRUNCATE posts CASCADE;", snapshot=snapshot)
    assert "CASCADE also empties public.comments" in finding.message


def test_cascade_without_a_connection_says_the_set_is_unknown() -> None:
    [finding] = _findings("TRUNCATE users CASCADE;")
    assert finding.severity is Severity.ERROR
    assert "unknown without a database connection" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE staging (id bigint);\nTRUNCATE staging;",
        "CREATE TABLE staging (id bigint);\nTRUNCATE staging CASCADE;",
        "DELETE FROM posts WHERE id < 10000;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []


def test_only_the_existing_tables_of_a_list_are_named() -> None:
    [finding] = _findings("CREATE TABLE staging (id bigint);\nTRUNCATE staging, posts;")
    assert "TRUNCATE public.posts takes" in finding.message
