"""Deparse a rebuilt statement and prove the text means the same statement.

Not a recipe. Recipes rebuild statements from pglast nodes, and pglast's printer has rare bugs: it prints
``NULLS NOT DISTINCT`` after ``WITH``/``TABLESPACE``/``WHERE`` in CREATE INDEX, where PostgreSQL rejects it.
A plan whose rollback fails to parse is found out only when it is needed most, so recipes print through
here: the text is parsed back and compared with the node (pglast's equality ignores source positions), and
a mismatch is reported instead of planned.
"""

from __future__ import annotations

from pglast import ast, parser

from zdt.analysis.fields import required
from zdt.recipes.base import deparse
from zdt.recipes.errors import PlanningError


def faithful_sql(node: ast.Node) -> str | None:
    """SQL text that parses back into ``node``; None when pglast cannot print it faithfully."""
    text = deparse(node)
    try:
        statements = parser.parse_sql(text)
    except parser.ParseError:
        return None
    if len(statements) != 1:
        return None
    reparsed = required(statements[0].stmt, "RawStmt.stmt")
    # Equal nodes prove it outright. A node built by hand lacks the defaults the parser fills in, so for
    # it the text must at least be a fixed point of parse-and-print.
    if reparsed != node and deparse(reparsed) != text:
        return None
    return text


def required_sql(node: ast.Node, line: int, what: str) -> str:
    """Faithful SQL for ``node``, or a PlanningError naming the line and what could not be printed."""
    text = faithful_sql(node)
    if text is None:
        raise PlanningError(
            f"line {line}: zdt cannot print {what} faithfully (a pglast printer limitation); "
            "write this change by hand"
        )
    return text
