from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "require-concurrent-index-deletion"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    "sql",
    [
        "DROP INDEX posts_created_idx;",
        "DROP INDEX IF EXISTS posts_created_idx;",
        "DROP INDEX public.posts_created_idx CASCADE;",
        "BEGIN;\nDROP INDEX posts_created_idx;\nCOMMIT;",
    ],
)
def test_plain_drop_index_is_flagged_without_a_connection(sql: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.WARNING
    assert "public.posts_created_idx" in finding.message and "AccessExclusiveLock" in finding.message
    assert "DROP INDEX CONCURRENTLY public.posts_created_idx;" in finding.fix


def test_several_indexes_get_one_concurrent_drop_each() -> None:
    [finding] = _findings("DROP INDEX posts_created_idx, posts_title_idx;")
    assert "DROP INDEX CONCURRENTLY public.posts_created_idx;" in finding.fix
    assert "DROP INDEX CONCURRENTLY public.posts_title_idx;" in finding.fix


def test_the_snapshot_names_the_locked_table(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz)")
    conn.execute("CREATE INDEX orders_placed_idx ON orders (placed_at)")
    snapshot = introspect(conn)
    [finding] = _findings("DROP INDEX orders_placed_idx;", snapshot=snapshot)
    assert "AccessExclusiveLock on public.orders" in finding.message
    # the index of an existing table, even when this script built it, still locks that table
    sql = "CREATE INDEX orders_id_idx ON orders (id);\nDROP INDEX orders_id_idx;"
    [finding] = _findings(sql, snapshot=snapshot)
    assert "public.orders" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "DROP INDEX CONCURRENTLY posts_created_idx;",
        "DROP INDEX CONCURRENTLY IF EXISTS posts_created_idx;",
        "CREATE TABLE tags (id bigint, name text);\nCREATE INDEX tags_name_idx ON tags (name);\n"
        "DROP INDEX tags_name_idx;",
        "DROP TABLE posts;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
