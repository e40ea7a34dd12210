"""The catalogue's own spellings, read back by the parser: the columns an index, a CHECK or a foreign key
uses, as a real server prints them."""

from __future__ import annotations

import psycopg
import pytest

from zdt.analysis.parse_tree import (
    CatalogueTextError,
    index_columns,
    name_strings,
    parse_constraint,
    parse_expression,
    parse_index,
    referenced_columns,
    rename_index_column,
    type_name_of,
)
from zdt.recipes.base import deparse

SCHEMA = """
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE t (
  id bigint PRIMARY KEY, a int, b text, c int DEFAULT (41 + 1), p bigint REFERENCES parent (id),
  CONSTRAINT t_ab CHECK (a > 0 AND length(b) < a)
);
CREATE INDEX t_expr ON t (lower(b)) INCLUDE (c) WHERE a > 3;
"""


@pytest.fixture
def catalogue(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute(SCHEMA)
    return conn


def _one(conn: psycopg.Connection, query: str) -> str:
    row = conn.execute(query).fetchone()
    assert row is not None
    return str(row[0])


def test_index_columns_cover_expressions_include_and_predicate(catalogue: psycopg.Connection) -> None:
    definition = _one(catalogue, "SELECT pg_get_indexdef('t_expr'::regclass)")
    assert index_columns(definition) == {"a", "b", "c"}
    statement = parse_index(definition)
    rename_index_column(statement, "b", "b_new")
    assert "lower(b_new)" in deparse(statement) and "lower(b)" not in deparse(statement)


def test_check_and_foreign_key_columns(catalogue: psycopg.Connection) -> None:
    check = _one(catalogue, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_ab'")
    assert referenced_columns(parse_constraint(check).raw_expr) == ["a", "b"]
    foreign = _one(catalogue, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'")
    constraint = parse_constraint(foreign)
    assert name_strings(constraint.fk_attrs) == {"p"} and name_strings(constraint.pk_attrs) == {"id"}


def test_defaults_and_types_as_the_server_prints_them(catalogue: psycopg.Connection) -> None:
    default = _one(catalogue, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef")
    assert deparse(parse_expression(default)) == "41 + 1"
    assert deparse(type_name_of(_one(catalogue, "SELECT format_type('varchar'::regtype, 54)"))) == (
        "varchar(50)"
    )


def test_unexpected_catalogue_text_is_a_clear_error() -> None:
    with pytest.raises(CatalogueTextError, match="unexpected expression in the catalog: 1 FROM t"):
        parse_expression("1 FROM t")
    with pytest.raises(CatalogueTextError, match="unexpected index definition"):
        parse_index("SELECT 1")
