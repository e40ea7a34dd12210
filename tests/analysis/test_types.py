"""Which ALTER COLUMN TYPE changes rewrite: the static answer, checked against relfilenode on the server."""

from __future__ import annotations

import psycopg
import pytest
from pglast import ast, parser

from zdt.analysis import analyse_sql, types
from zdt.schema import introspect

CASES = [
    # (column definition, new type, session TimeZone)
    ("integer", "bigint", "UTC"),
    ("varchar(50)", "varchar(100)", "UTC"),
    ("varchar(100)", "varchar(50)", "UTC"),
    ("varchar(50)", "text", "UTC"),
    ("text", "varchar", "UTC"),
    ("text", "varchar(20)", "UTC"),
    ("numeric(10,2)", "numeric(12,2)", "UTC"),
    ("numeric(10,2)", "numeric(12,3)", "UTC"),
    ("numeric(10,2)", "numeric", "UTC"),
    ("char(5)", "text", "UTC"),
    ("cidr", "inet", "UTC"),
    ("timestamp", "timestamptz", "UTC"),
    ("timestamp", "timestamptz", "Europe/Paris"),
    ("timestamptz", "timestamp", "UTC"),
    ("timestamp(3)", "timestamp(6)", "UTC"),
    ("bigint", "integer", "UTC"),
]


@pytest.mark.parametrize(("column", "new_type", "zone"), CASES)
def test_static_rewrite_claim_matches_relfilenode(
    conn: psycopg.Connection, column: str, new_type: str, zone: str
) -> None:
    conn.execute(f"CREATE TABLE t (id int, c {column})")
    conn.execute("INSERT INTO t SELECT g, NULL FROM generate_series(1, 10) g")
    conn.execute(f"SET TimeZone = '{zone}'")
    snapshot = introspect(conn)
    statement = f"ALTER TABLE t ALTER COLUMN c TYPE {new_type}"
    claim = analyse_sql(statement, snapshot=snapshot)[0].rewrites_table
    before = conn.execute("SELECT pg_relation_filenode('t')").fetchone()
    conn.execute(statement)
    after = conn.execute("SELECT pg_relation_filenode('t')").fetchone()
    assert claim is (before != after), f"{column} -> {new_type} under {zone}"


def test_unknown_current_type_is_assumed_to_rewrite() -> None:
    report = analyse_sql("ALTER TABLE t ALTER COLUMN c TYPE text")[0]
    assert report.rewrites_table is True


def test_type_from_earlier_in_the_script_is_used() -> None:
    reports = analyse_sql("CREATE TABLE t (c varchar(10));\nALTER TABLE t ALTER COLUMN c TYPE varchar(20);")
    assert reports[1].rewrites_table is False


@pytest.mark.parametrize(
    ("declared", "formatted"),
    [
        ('"DocumentSource"', '"DocumentSource"'),
        ('public."Role"', '"Role"'),
        ("s.mood", "s.mood"),
        ("citext", "citext"),
    ],
)
def test_user_types_are_spelled_as_format_type_spells_them(declared: str, formatted: str) -> None:
    """Prisma's enums are mixed case: unquoted, a cast to the type would name another (missing) type."""
    statement = parser.parse_sql(f"CREATE TABLE x (c {declared})")[0].stmt
    assert isinstance(statement, ast.CreateStmt) and statement.tableElts
    column = statement.tableElts[0]
    assert isinstance(column, ast.ColumnDef) and column.typeName is not None
    assert str(types.from_type_name(column.typeName)) == formatted
