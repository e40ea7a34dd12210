from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity, analyse_sql
from zdt.schema import SchemaSnapshot

RULE = "changing-column-type"


@pytest.fixture
def snapshot(conn: psycopg.Connection) -> SchemaSnapshot:
    return snapshot_after(
        conn,
        """
        CREATE TABLE orders (
            id integer PRIMARY KEY, code varchar(50), total numeric(10, 2), placed_at timestamp
        );
        INSERT INTO orders SELECT g, 'c' || g, g, now() FROM generate_series(1, 20000) g;
        CREATE VIEW order_codes AS SELECT id, code FROM orders;
        ANALYZE orders;
        """,
    )


def _relfilenode(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT relfilenode FROM pg_class WHERE relname = 'orders'").fetchone()[0]


def test_int_to_bigint_rewrites(snapshot: SchemaSnapshot, conn: psycopg.Connection) -> None:
    [key] = findings(RULE, "ALTER TABLE orders ALTER COLUMN id TYPE bigint;", snapshot=snapshot)
    assert key.severity is Severity.ERROR and "integer -> bigint" in key.message
    assert "public.orders.id" in key.message and "~20,000 rows" in key.message
    assert "expand/contract" in key.fix and "ADD COLUMN id_new bigint" in key.fix
    conn.execute("DROP VIEW order_codes")
    before = _relfilenode(conn)
    conn.execute("ALTER TABLE orders ALTER COLUMN id TYPE bigint")
    assert _relfilenode(conn) != before


def test_widening_varchar_is_only_info(snapshot: SchemaSnapshot, conn: psycopg.Connection) -> None:
    conn.execute("DROP VIEW order_codes")
    before = _relfilenode(conn)
    for target in ["varchar(100)", "text", "character varying"]:
        sql = f"ALTER TABLE orders ALTER COLUMN code TYPE {target};"
        [finding] = findings(RULE, sql, snapshot=snapshot)
        assert finding.severity is Severity.INFO, target
        assert "public.orders.code" in finding.message and "no rewrite" in finding.message
        assert "cached plan must not change result type" in finding.message
        conn.execute(sql)
    assert _relfilenode(conn) == before


def test_narrowing_numeric_rewrites(snapshot: SchemaSnapshot) -> None:
    sql = "ALTER TABLE orders ALTER COLUMN total TYPE numeric(8, 2);"
    [finding] = findings(RULE, sql, snapshot=snapshot)
    assert finding.severity is Severity.ERROR
    assert "public.orders.total" in finding.message and "numeric(10,2) -> numeric(8,2)" in finding.message
    assert (
        findings(RULE, "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);", snapshot=snapshot)[
            0
        ].severity
        is Severity.INFO
    )


def test_narrowing_varchar_rewrites(snapshot: SchemaSnapshot) -> None:
    [finding] = findings(RULE, "ALTER TABLE orders ALTER COLUMN code TYPE varchar(20);", snapshot=snapshot)
    assert finding.severity is Severity.ERROR
    assert "views depend on public.orders (public.order_codes)" in finding.message


def test_timestamp_to_timestamptz_depends_on_the_timezone(
    snapshot: SchemaSnapshot, conn: psycopg.Connection
) -> None:
    assert snapshot.timezone in ("UTC", "Etc/UTC")
    sql = "ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz;"
    [report] = analyse_sql(sql, snapshot=snapshot)
    assert not report.rewrites_table
    [utc] = findings(RULE, sql, snapshot=snapshot)
    assert utc.severity is Severity.INFO

    paris = "SET TimeZone = 'Europe/Paris';\n" + sql
    [paris_finding] = findings(RULE, paris, snapshot=snapshot)
    assert paris_finding.severity is Severity.ERROR
    assert paris_finding.fix.startswith("run SET TimeZone = 'UTC';")

    [before_12] = findings(RULE, sql, snapshot=snapshot, pg_version=11)
    assert before_12.severity is Severity.ERROR and "TimeZone" not in before_12.fix

    conn.execute("SET TimeZone = 'UTC'")
    before = _relfilenode(conn)
    conn.execute("ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz")
    assert _relfilenode(conn) == before


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ALTER COLUMN author_id TYPE bigint;",
        "ALTER TABLE posts ALTER COLUMN author_id TYPE bigint USING author_id::bigint + 0;",
        "ALTER TABLE posts ALTER COLUMN author_id SET DATA TYPE bigint, ALTER COLUMN status SET NOT NULL;",
    ],
)
def test_without_a_snapshot_unknown_types_are_assumed_to_rewrite(sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR and "public.posts.author_id" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN author_id_new bigint;",
        "ALTER TABLE posts ALTER COLUMN author_id SET DEFAULT 0;",
        "CREATE TABLE tags (id int);\nALTER TABLE tags ALTER COLUMN id TYPE bigint;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []
