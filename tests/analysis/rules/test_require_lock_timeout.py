"""require-lock-timeout: a statement whose lock blocks traffic is flagged unless the script set a
lock_timeout before it; on the server, that timeout is what turns an endless queue into a quick error."""

from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings
from zdt.analysis import Severity, analyse_sql

RULE = "require-lock-timeout"
ALTER = "ALTER TABLE posts ADD COLUMN flag boolean;"


@pytest.mark.parametrize(
    "sql",
    [
        ALTER,
        "DROP TABLE posts;",
        "CREATE INDEX posts_title_idx ON posts (title);",
        "SET lock_timeout = '200ms';\nRESET lock_timeout;\n" + ALTER,
        "SET lock_timeout = 0;\n" + ALTER,
        "SET lock_timeout TO DEFAULT;\n" + ALTER,
    ],
)
def test_a_traffic_blocking_lock_without_lock_timeout_is_flagged(sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.WARNING
    assert "public.posts" in finding.message and "no lock_timeout" in finding.message
    assert "SET lock_timeout" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "SET lock_timeout = '200ms';\n" + ALTER,
        "SET lock_timeout = 200;\n" + ALTER + "\nDROP TABLE posts;",
        "CREATE INDEX CONCURRENTLY posts_title_idx ON posts (title);",  # ShareUpdateExclusiveLock
        "CREATE TABLE tags (id bigint);\nALTER TABLE tags ADD COLUMN name text;",  # nobody uses it yet
        "SELECT * FROM posts;",
    ],
)
def test_a_lock_timeout_or_a_lock_that_blocks_no_one_is_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_only_the_statements_before_the_setting_are_flagged() -> None:
    sql = ALTER + "\nSET lock_timeout = '1s';\nALTER TABLE posts ADD COLUMN other text;"
    flagged = [any(f.rule == RULE for f in report.findings) for report in analyse_sql(sql)]
    assert flagged == [True, False, False]
    assert [any(f.rule == RULE for f in report.findings) for report in analyse_sql(ALTER + ALTER)] == [
        True,
        True,
    ]


def test_on_the_server_the_timeout_bounds_the_wait(conn: psycopg.Connection, database_url: str) -> None:
    """The good example really stops waiting: behind an open transaction, the ALTER fails after its
    lock_timeout instead of queueing (and making every later query on the table queue behind it)."""
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)")
    with psycopg.connect(database_url) as reader:
        reader.execute("SELECT count(*) FROM posts")  # AccessShareLock held until the transaction ends
        conn.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            conn.execute(ALTER)
        reader.rollback()
    conn.execute(ALTER)
