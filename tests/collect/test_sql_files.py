"""A .sql file into the corpus: names from '-- name:' comments, file:line origins, syntax errors raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from zdt.analysis.source import SqlSyntaxError
from zdt.collect.sql_files import sql_file_queries


def test_queries_keep_their_names_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "app.sql"
    path.write_text(
        "-- name: get_user\nSELECT id FROM users WHERE id = $1;\n\nDELETE FROM users WHERE id = $1;\n"
    )
    assert [(q.name, q.origin.kind, q.origin.label) for q in sql_file_queries(path)] == [
        ("get_user", "file", f"{path}:2"),
        ("app.sql:4", "file", f"{path}:4"),
    ]


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.sql"
    path.write_text("SELECT 1;\nSELEC 2;\n")
    with pytest.raises(SqlSyntaxError, match=rf"{path}:2:1"):
        sql_file_queries(path)
