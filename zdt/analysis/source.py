"""Split a migration script into statements with the real PostgreSQL parser (pglast), keeping positions.

Every statement keeps its 1-based line, its own text and the rules that a ``-- zdt-ignore: rule-id`` comment
right above it suppresses. A syntax error becomes :class:`SqlSyntaxError` naming the source, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, parser

from zdt.analysis.fields import required

IGNORE_MARKER = "zdt-ignore:"


class SqlSyntaxError(ValueError):
    """The parser rejected the script; says where and in the parser's own words."""

    def __init__(self, source: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{source}:{line}:{column}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.parser_message = message


@dataclass(frozen=True)
class ParsedStatement:
    """One statement of a script, as the parser saw it."""

    index: int
    line: int
    sql: str
    node: ast.Node
    ignored_rules: frozenset[str] = field(default_factory=frozenset)

    @property
    def kind(self) -> str:
        return type(self.node).__name__


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


def _ignored_rules(comment: str) -> set[str]:
    """Rule ids named by one ``-- zdt-ignore: a, b -- reason`` comment."""
    text = comment.strip().removeprefix("--").removeprefix("/*").removesuffix("*/").strip()
    if not text.startswith(IGNORE_MARKER):
        return set()
    names = text[len(IGNORE_MARKER) :].split("--", 1)[0]
    return {name.strip() for name in names.replace(",", " ").split() if name.strip()}


def _first_token_offset(text: str) -> int:
    """Characters of comments and blank space before the first real token of ``text``."""
    for token in parser.scan(text):
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            return token.start
    return 0


def parse_statements(text: str, source: str = "<input>") -> list[ParsedStatement]:
    """Parse ``text`` into statements; raise :class:`SqlSyntaxError` with position on bad SQL.

    pglast reports every offset in characters (not bytes), so all slicing here is on ``str``.
    """
    try:
        raw_statements = parser.parse_sql(text)
    except parser.ParseError as error:
        message = str(error.args[0])
        location = error.args[1] if len(error.args) > 1 else None
        offset = int(location) if location is not None else len(text.rstrip())  # None: at end of input
        line, column = _line_and_column(text, max(offset, 0))  # pglast: 0-based offset
        raise SqlSyntaxError(source, line, column, message) from None

    comments = [
        (token.start, text[token.start : token.end + 1])
        for token in parser.scan(text)
        if token.name in ("SQL_COMMENT", "C_COMMENT")
    ]
    statements: list[ParsedStatement] = []
    previous_end = 0
    for index, raw in enumerate(raw_statements):
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        chunk = text[start:end]
        first = start + _first_token_offset(chunk)
        ignored: set[str] = set()
        for comment_start, comment in comments:
            if previous_end <= comment_start < first:
                ignored |= _ignored_rules(comment)
        line, _ = _line_and_column(text, first)
        body = text[first:end].strip()
        statements.append(
            ParsedStatement(index, line, body, required(raw.stmt, "RawStmt.stmt"), frozenset(ignored))
        )
        previous_end = end
    return statements
