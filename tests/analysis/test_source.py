"""Splitting scripts into statements: positions, suppressions, syntax errors."""

from __future__ import annotations

import pytest

from zdt.analysis.source import SqlSyntaxError, parse_statements

SCRIPT = """-- header comment
SET lock_timeout = '2s';

-- zdt-ignore: require-concurrent-index-creation, require-lock-timeout -- tiny lookup table
CREATE INDEX i ON t (a);  /* trailing */
SELECT 'é'; SELECT 2
"""


def test_statements_keep_their_line_and_text() -> None:
    statements = parse_statements(SCRIPT)
    assert [(s.line, s.kind) for s in statements] == [
        (2, "VariableSetStmt"),
        (5, "IndexStmt"),
        (6, "SelectStmt"),
        (6, "SelectStmt"),
    ]
    assert statements[1].sql == "CREATE INDEX i ON t (a)"
    assert statements[2].sql == "SELECT 'é'"
    assert statements[3].sql == "SELECT 2"


def test_ignore_comment_applies_to_the_next_statement_only() -> None:
    statements = parse_statements(SCRIPT)
    assert statements[1].ignored_rules == {"require-concurrent-index-creation", "require-lock-timeout"}
    assert statements[0].ignored_rules == frozenset()
    assert statements[2].ignored_rules == frozenset()


def test_syntax_error_names_source_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statements("SELECT 1;\n\n  ALTER TABEL posts ADD x int;\n", "m/001.sql")
    error = caught.value
    assert (error.source, error.line, error.column) == ("m/001.sql", 3, 9)
    assert 'syntax error at or near "TABEL"' in str(error)
    assert str(error).startswith("m/001.sql:3:9: ")


def test_syntax_error_at_end_of_input_points_at_the_end() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statements("SELECT 1;\nALTER TABLE users ADD", "m.sql")
    assert (caught.value.line, caught.value.column) == (2, 22)
    assert "syntax error at end of input" in str(caught.value)
