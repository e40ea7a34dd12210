"""Loading the application's query corpus: the real parser splits it, lines and names are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from zdt.analysis.source import SqlSyntaxError
from zdt.compat import load_queries, parse_queries
from zdt.compat.checks import as_queries

CORPUS = """\
-- The application's queries.

-- name: get_user
SELECT id, name FROM users WHERE id = $1;

SELECT ';' AS semicolon, $$ a ; b $$ AS dollar
FROM users
WHERE name = $1;  -- trailing comment
-- name: rename_user
UPDATE users SET name = $2 WHERE id = $1;
INSERT INTO users (name) VALUES ($1) RETURNING id;
"""


def test_queries_keep_their_line_name_kind_and_parameters(tmp_path: Path) -> None:
    path = tmp_path / "app.sql"
    path.write_text(CORPUS)
    queries = load_queries(path)
    assert [(q.index, q.line, q.name, q.kind) for q in queries] == [
        (0, 4, "get_user", "SelectStmt"),
        (1, 6, "line 6", "SelectStmt"),
        (2, 10, "rename_user", "UpdateStmt"),
        (3, 11, "line 11", "InsertStmt"),
    ]
    assert queries[0].sql == "SELECT id, name FROM users WHERE id = $1"
    assert queries[1].sql.startswith("SELECT ';' AS semicolon, $$ a ; b $$ AS dollar\nFROM users")
    assert queries[0].label == f"get_user ({path}:4)"
    assert queries[3].label == f"{path}:11"
    assert all(q.source == str(path) for q in queries)


def test_a_syntax_error_names_the_line() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_queries("SELECT 1;\n\nSELEC id FROM users;\n", source="app.sql")
    assert caught.value.line == 3
    assert str(caught.value).startswith("app.sql:3:")


def test_plain_strings_are_one_query_each() -> None:
    queries = as_queries(["SELECT 1", "UPDATE users SET name = $1"])
    assert [(q.index, q.kind, q.source) for q in queries] == [
        (0, "SelectStmt", "query 1"),
        (1, "UpdateStmt", "query 2"),
    ]
    with pytest.raises(ValueError, match="query 1: expected exactly one statement, got 2"):
        as_queries(["SELECT 1; SELECT 2"])
