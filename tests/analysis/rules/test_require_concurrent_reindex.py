from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "require-concurrent-reindex"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "fix"),
    [
        ("REINDEX INDEX posts_created_idx;", "REINDEX INDEX CONCURRENTLY posts_created_idx"),
        ("REINDEX TABLE posts;", "REINDEX TABLE CONCURRENTLY posts"),
        ("REINDEX (VERBOSE) TABLE posts;", "REINDEX TABLE CONCURRENTLY posts"),
        ("REINDEX SCHEMA public;", "REINDEX SCHEMA CONCURRENTLY public"),
    ],
)
def test_plain_reindex_is_an_error(sql: str, fix: str) -> None:
    [finding] = _findings(sql, pg_version=16)
    assert finding.severity is Severity.ERROR
    assert "ShareLock" in finding.message and "AccessExclusiveLock" in finding.message
    assert finding.fix.startswith(fix)


def test_before_postgresql_12_the_fix_builds_a_replacement() -> None:
    [finding] = _findings("REINDEX INDEX posts_created_idx;", pg_version=11)
    assert "PostgreSQL 11 has no REINDEX CONCURRENTLY" in finding.fix
    assert "CREATE INDEX CONCURRENTLY" in finding.fix and "DROP INDEX CONCURRENTLY" in finding.fix
    [finding] = _findings("REINDEX INDEX posts_created_idx;", pg_version=12)
    assert finding.fix.startswith("REINDEX INDEX CONCURRENTLY")


def test_snapshot_names_the_table_and_scales_the_severity(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz)")
    conn.execute("CREATE INDEX events_at_idx ON events (at)")
    conn.execute("INSERT INTO events SELECT g, now() FROM generate_series(1, 300) g")
    conn.execute("ANALYZE events")
    snapshot = introspect(conn)
    [finding] = _findings("REINDEX INDEX events_at_idx;", snapshot=snapshot)
    assert "ShareLock on public.events" in finding.message and "~300 rows" in finding.message
    assert finding.severity is Severity.WARNING  # small table: a short lock
    assert finding.fix.startswith("REINDEX INDEX CONCURRENTLY")  # the snapshot's server is 12+
    [finding] = _findings("REINDEX TABLE events;", snapshot=snapshot, pg_version=11)
    assert "PostgreSQL 11" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "REINDEX INDEX CONCURRENTLY posts_created_idx;",
        "REINDEX (CONCURRENTLY) TABLE posts;",
        "REINDEX TABLE CONCURRENTLY posts;",
        "REINDEX SYSTEM;",
        "CREATE TABLE tags (id bigint);\nCREATE INDEX tags_id_idx ON tags (id);\nREINDEX INDEX tags_id_idx;",
        "CREATE TABLE tags (id bigint);\nREINDEX TABLE tags;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
