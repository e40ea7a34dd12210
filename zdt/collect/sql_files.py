"""A ``.sql`` file of the application's queries, as ``--queries FILE`` reads it today, into the corpus.

The same reader (``zdt.compat.parse_queries``): the real parser splits it, ``-- name:`` comments name
queries, each keeps its line. Unlike code, every statement of the file is kept: the team wrote it as the
corpus, so a statement that is not a query is its decision, and a syntax error stops with file and line.
"""

from __future__ import annotations

from pathlib import Path

from zdt.compat.corpus import CorpusQuery
from zdt.compat.queries import QueryOrigin, parse_queries


def sql_file_queries(path: Path) -> list[CorpusQuery]:
    """The file's queries; raises SqlSyntaxError (file, line, column) or OSError."""
    place = str(path)
    return [
        CorpusQuery(
            name=query.name if query.name != f"line {query.line}" else f"{path.name}:{query.line}",
            sql=query.sql,
            origin=QueryOrigin(kind="file", place=place, line=query.line),
        )
        for query in parse_queries(path.read_text(encoding="utf-8"), source=place)
    ]
