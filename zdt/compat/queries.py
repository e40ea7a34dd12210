"""The application's query corpus: a .sql file of the statements the running code sends.

Split by the real PostgreSQL parser (pglast), so semicolons inside strings, dollar quotes and comments never
cut a query in two, and each query keeps the line it starts on: a compatibility report must be able to
say "queries.sql line 12" to the developer who has to change it. ``$1``-style parameters are what
PostgreSQL itself accepts in PREPARE, so they stay as written. A ``-- name: get_user`` comment right
above a query names it (sqlc style); otherwise it is named after its line.

A query may also come from a collected corpus (``zdt queries collect``, zdt.compat.corpus): then it carries
its :class:`QueryOrigin` (a source file's line, ``pg_stat_statements`` on a server, a Prisma model's
operation), and reports name that place instead of a line of the corpus file.
"""

from __future__ import annotations

import re
from typing import Literal

from pglast import ast, parser
from pydantic import BaseModel, ConfigDict, Field

from zdt.analysis.source import parse_statements

_NAME = re.compile(r"^\s*--\s*name:\s*([A-Za-z_][\w.-]*)")


OriginKind = Literal["file", "source", "stats", "prisma"]


class QueryOrigin(BaseModel):
    """Where a collected query came from, so that a report can send the developer to it."""

    model_config = ConfigDict(frozen=True)

    kind: OriginKind = Field(description="file (.sql), source (a string in code), stats, or prisma.")
    place: str = Field(description="The file's path, the server (password redacted), or Model.operation.")
    line: int | None = Field(default=None, description="1-based line in the file (file and source).")
    calls: int | None = Field(default=None, description="pg_stat_statements calls (stats).")

    @property
    def label(self) -> str:
        """file:line, "server, N calls", or Model.operation."""
        if self.line is not None:
            return f"{self.place}:{self.line}"
        if self.calls is not None:
            return f"{self.place}, {self.calls} calls"
        return self.place


class AppQuery(BaseModel):
    """One application query, as found in the corpus."""

    model_config = ConfigDict(frozen=True)

    index: int
    sql: str
    line: int = Field(description="1-based line of the query's first token in its file.")
    source: str = "<input>"
    name: str = Field(description="From a '-- name:' comment, else 'line N'.")
    kind: str = Field(description="The parser's node type, e.g. SelectStmt, UpdateStmt, CreateStmt.")
    origin: QueryOrigin | None = Field(default=None, description="Set for queries of a collected corpus.")

    @property
    def label(self) -> str:
        """How reports and summaries refer to it: name and place."""
        if self.origin is not None:
            where = self.origin.label
            return where if self.name == where else f"{self.name} ({where})"
        where = f"{self.source}:{self.line}"
        return where if self.name == f"line {self.line}" else f"{self.name} ({where})"


def _name_comments(text: str) -> dict[int, str]:
    """Line of each '-- name: x' comment -> x."""
    names: dict[int, str] = {}
    for token in parser.scan(text):
        if token.name == "SQL_COMMENT":
            match = _NAME.match(text[token.start : token.end + 1])
            if match:
                names[text.count("\n", 0, token.start) + 1] = match.group(1)
    return names


def _kind(node: ast.Node) -> str:
    return type(node).__name__


def parse_queries(text: str, source: str = "<input>") -> list[AppQuery]:
    """Split ``text`` into queries; raises zdt.analysis.source.SqlSyntaxError with line and column."""
    statements = parse_statements(text, source)
    names = _name_comments(text)
    queries = []
    previous_line = 0
    for statement in statements:
        # A name comment applies to the first statement after it, and only if no statement is in between.
        named = [names[line] for line in sorted(names) if previous_line < line < statement.line]
        queries.append(
            AppQuery(
                index=statement.index,
                sql=statement.sql,
                line=statement.line,
                source=source,
                name=named[-1] if named else f"line {statement.line}",
                kind=_kind(statement.node),
            )
        )
        previous_line = statement.line + statement.sql.count("\n")
    return queries
