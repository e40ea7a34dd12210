"""Does a query the application sends use something contract removes? Read from its parse tree.

The query text comes from ``pg_stat_statements`` (normalised, ``$1`` for constants), which the parser
reads as it is. A query uses a retired table when it names it anywhere (FROM, JOIN, a subquery, the
target of a write); it uses a retired column when it names that table and either mentions the column
(a reference, an INSERT column, an UPDATE target), selects ``*`` or inserts without a column list —
the last two because their result or meaning changes when the column goes. Unqualified names match a
retired object in any schema: a false alarm delays contract, a missed one breaks the old release.
"""

from __future__ import annotations

from collections.abc import Sequence

from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from zdt.rollout.retired import RetiredObject


class _Mentions(Visitor):
    """Relations, column names and wildcard uses anywhere in a statement."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: set[tuple[str | None, str]] = set()
        self.columns: set[str] = set()
        self.wildcard = False

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        if node.relname:
            self.relations.add((node.schemaname, node.relname))

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        last = node.fields[-1] if node.fields else None
        if isinstance(last, ast.A_Star):
            self.wildcard = True
        elif isinstance(last, ast.String) and last.sval:
            self.columns.add(last.sval)

    def visit_InsertStmt(self, ancestors: object, node: ast.InsertStmt) -> None:
        if not node.cols:
            self.wildcard = True  # positional: every column, in table order
        for target in node.cols or ():
            if isinstance(target, ast.ResTarget) and target.name:
                self.columns.add(target.name)

    def visit_UpdateStmt(self, ancestors: object, node: ast.UpdateStmt) -> None:
        for target in node.targetList or ():
            if isinstance(target, ast.ResTarget) and target.name:
                self.columns.add(target.name)


def retired_references(query: str, retired: Sequence[RetiredObject]) -> list[RetiredObject]:
    """The retired objects ``query`` uses; none for text the parser cannot read (not SQL we can judge)."""
    try:
        statements = parse_sql(query)
    except ParseError:
        return []
    mentions = _Mentions()
    for raw in statements:
        if raw.stmt is not None:
            mentions(raw.stmt)
    return [item for item in retired if _uses(mentions, item)]


def _uses(mentions: _Mentions, item: RetiredObject) -> bool:
    names_table = any(
        relname == item.table and schema in (None, item.schema_name) for schema, relname in mentions.relations
    )
    if not names_table:
        return False
    if item.column is None:
        return True
    return item.column in mentions.columns or mentions.wildcard
