from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "table-rewrite-alter"


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ("ALTER TABLE posts SET LOGGED;", "SET LOGGED copies every row"),
        ("ALTER TABLE posts SET UNLOGGED;", "SET UNLOGGED copies every row"),
        ("ALTER TABLE posts SET ACCESS METHOD heap;", "SET ACCESS METHOD heap rewrites every row"),
        ("ALTER TABLE posts SET TABLESPACE archive;", "SET TABLESPACE archive copies"),
        ("ALTER MATERIALIZED VIEW post_stats SET TABLESPACE archive;", "SET TABLESPACE archive copies"),
    ],
)
def test_rewriting_alters_are_flagged(sql: str, what: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert what in finding.message and "AccessExclusiveLock" in finding.message
    assert "public.post" in finding.message
    assert "no online form" in finding.fix and "maintenance window" in finding.fix


def test_fix_details_follow_the_command() -> None:
    [logged] = findings(RULE, "ALTER TABLE posts SET LOGGED;")
    [moved] = findings(RULE, "ALTER TABLE posts SET TABLESPACE archive;")
    assert "WAL" in logged.message and "replication lag" in logged.fix
    assert "pg_repack --tablespace" in moved.fix and "pg_repack --tablespace" not in logged.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts SET (fillfactor = 90);",
        "ALTER TABLE posts SET WITHOUT CLUSTER;",
        "ALTER INDEX posts_created_idx SET TABLESPACE archive;",
        "CREATE UNLOGGED TABLE imports (id bigint);\nALTER TABLE imports SET LOGGED;",
    ],
)
def test_other_alters_and_new_tables_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_size_and_partitioned_tables_come_from_the_snapshot(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE big (id bigint); INSERT INTO big SELECT generate_series(1, 20000); ANALYZE big;"
        "CREATE TABLE small (id bigint); INSERT INTO small VALUES (1); ANALYZE small;"
        "CREATE TABLE events (at date) PARTITION BY RANGE (at);",
    )
    [big] = findings(RULE, "ALTER TABLE big SET UNLOGGED;", snapshot=snapshot)
    [small] = findings(RULE, "ALTER TABLE small SET UNLOGGED;", snapshot=snapshot)
    assert big.severity is Severity.ERROR and "~20,000 rows" in big.message
    assert small.severity is Severity.WARNING
    # on a partitioned table these only set the default for partitions created later
    assert findings(RULE, "ALTER TABLE events SET TABLESPACE pg_default;", snapshot=snapshot) == []
    before = conn.execute("SELECT relfilenode FROM pg_class WHERE relname = 'big'").fetchone()
    conn.execute("ALTER TABLE big SET UNLOGGED")
    assert conn.execute("SELECT relfilenode FROM pg_class WHERE relname = 'big'").fetchone() != before
