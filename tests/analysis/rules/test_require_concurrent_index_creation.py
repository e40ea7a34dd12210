"""require-concurrent-index-creation: a plain CREATE INDEX on a table that already exists is flagged, its
severity scaled by the table's size; CONCURRENTLY, and tables the script creates itself, are not."""

from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "require-concurrent-index-creation"


def _posts(conn: psycopg.Connection, rows: int) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint)")
    if rows:
        conn.execute(f"INSERT INTO posts SELECT g, g % 100 FROM generate_series(1, {rows}) g")
    conn.execute("ANALYZE posts")


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX posts_author_idx ON posts (author_id);",
        "CREATE UNIQUE INDEX posts_author_idx ON public.posts (author_id, id);",
        "CREATE INDEX IF NOT EXISTS posts_author_idx ON posts (author_id) WHERE author_id > 0;",
        "BEGIN;\nCREATE INDEX posts_author_idx ON posts (author_id);\nCOMMIT;",
    ],
)
def test_plain_create_index_is_flagged_without_a_connection(sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert "public.posts" in finding.message and "ShareLock" in finding.message
    assert "CONCURRENTLY" in finding.fix


@pytest.mark.parametrize(
    ("rows", "severity"),
    [(12_000, Severity.ERROR), (500, Severity.WARNING), (0, Severity.INFO)],
)
def test_the_severity_follows_the_table_size(rows: int, severity: Severity, conn: psycopg.Connection) -> None:
    _posts(conn, rows)
    snapshot = snapshot_after(conn, "SELECT 1")
    [finding] = findings(RULE, "CREATE INDEX posts_author_idx ON posts (author_id);", snapshot=snapshot)
    assert finding.severity is severity
    if rows:
        assert f"~{rows:,} rows" in finding.message


def test_the_plain_build_really_blocks_writes_and_the_concurrent_one_does_not(
    conn: psycopg.Connection, database_url: str
) -> None:
    """What the rule claims, on the server: a plain build's ShareLock conflicts with an INSERT's lock."""
    _posts(conn, 100)
    with psycopg.connect(database_url) as writer:
        writer.execute("INSERT INTO posts VALUES (1001, 1)")  # holds RowExclusiveLock until commit
        conn.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            conn.execute("CREATE INDEX posts_author_idx ON posts (author_id)")
        writer.commit()
    assert findings(RULE, "CREATE INDEX CONCURRENTLY posts_author_idx ON posts (author_id);") == []
    conn.execute("CREATE INDEX CONCURRENTLY posts_author_idx ON posts (author_id)")


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX CONCURRENTLY posts_author_idx ON posts (author_id);",
        "CREATE TABLE tags (id bigint, name text);\nCREATE INDEX tags_name_idx ON tags (name);",
        "DROP INDEX CONCURRENTLY posts_author_idx;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []
