"""What counts as a query: one DML/SELECT statement as the parser reads it, not a word in a string."""

from __future__ import annotations

import pytest

from zdt.collect.statements import query_kind, reads_only_the_system


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("SELECT id FROM users WHERE id = $1", "SelectStmt"),
        ("WITH a AS (SELECT 1) SELECT * FROM a", "SelectStmt"),
        ("SELECT 1", "SelectStmt"),
        ("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", "SelectStmt"),
        ("INSERT INTO t (a) VALUES ($1) RETURNING id", "InsertStmt"),
        ("UPDATE t SET a = $1", "UpdateStmt"),
        ("DELETE FROM t WHERE id = $1", "DeleteStmt"),
    ],
)
def test_queries_are_recognised(text: str, kind: str) -> None:
    assert query_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "select",  # parses: SELECT with no target list
        "select done",  # parses: SELECT of a column, without FROM it cannot run
        "Please select an option",
        "DELETE this post?",
        "users",
        "CREATE INDEX i ON t (a)",  # a statement, not a query
        "SET search_path = app",
        "BEGIN",
        "SELECT 1; SELECT 2",  # two statements are not one query
    ],
)
def test_everything_else_is_not(text: str) -> None:
    assert query_kind(text) is None


def test_catalogue_reads_are_the_servers_not_the_applications() -> None:
    assert reads_only_the_system("SELECT relname FROM pg_catalog.pg_class WHERE oid = $1")
    assert reads_only_the_system("SELECT count(*) FROM pg_stat_activity")
    assert reads_only_the_system("SELECT pg_current_wal_lsn()")
    assert reads_only_the_system("SELECT * FROM zdt.migrations")
    assert not reads_only_the_system("SELECT id FROM users WHERE id = $1")
    assert not reads_only_the_system("SELECT now()")
