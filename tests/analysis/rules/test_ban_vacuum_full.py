from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "ban-vacuum-full"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "subject"),
    [
        ("VACUUM FULL posts;", "public.posts"),
        ("VACUUM FULL VERBOSE ANALYZE posts;", "public.posts"),
        ("VACUUM (FULL, ANALYZE) posts (title);", "public.posts"),
        ("VACUUM (FULL true) blog.posts;", "blog.posts"),
        ("VACUUM (FULL 1) posts, users;", "public.posts, public.users"),
        ("VACUUM FULL;", "every table of the database"),
    ],
)
def test_vacuum_full_is_an_error(sql: str, subject: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert f"VACUUM FULL rewrites {subject}" in finding.message
    assert "AccessExclusiveLock" in finding.message and "reads included" in finding.message
    assert "plain VACUUM" in finding.fix and "pg_repack" in finding.fix


def test_severity_follows_the_table_size(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE small_t (id bigint)")
    conn.execute("CREATE TABLE big_t (id bigint)")
    conn.execute("INSERT INTO small_t SELECT generate_series(1, 10)")
    conn.execute("INSERT INTO big_t SELECT generate_series(1, 20000)")
    conn.execute("ANALYZE small_t, big_t")
    snapshot = introspect(conn)
    [finding] = _findings("VACUUM FULL small_t;", snapshot=snapshot)
    assert finding.severity is Severity.WARNING and "~10 rows" in finding.message
    [finding] = _findings("VACUUM FULL big_t;", snapshot=snapshot)
    assert finding.severity is Severity.ERROR


@pytest.mark.parametrize(
    "sql",
    [
        "VACUUM posts;",
        "VACUUM (ANALYZE, VERBOSE) posts;",
        "VACUUM (FULL false) posts;",
        "VACUUM (FULL off, ANALYZE) posts;",
        "VACUUM (FULL 0) posts;",
        "ANALYZE posts;",
        "CREATE TABLE staging (id bigint);\nVACUUM FULL staging;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
