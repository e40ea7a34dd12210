"""A table alias in UPDATE / DELETE, spelled out, so the statement can run as keyset batches: not a recipe.

The batches name the table itself (``UPDATE public.posts SET ... WHERE id > $lo AND id <= $hi AND
<where>``), so an alias the statement's SET, WHERE, FROM or USING refer to would no longer exist there.
``UPDATE posts AS p SET title = lower(p.title) WHERE p.id < 100`` means exactly ``UPDATE posts SET title
= lower(posts.title) WHERE posts.id < 100``: every column reference qualified by the alias is rewritten
to the table's own name, on a fresh parse of the statement (the analysed tree is left as it was).

Where the alias name is used by anything else inside the statement (a FROM item, a subquery's own
alias, the table's own name), a rewrite could change which relation a reference means, so it is refused
with the fix instead.
"""

from __future__ import annotations

from typing import TypeVar

from pglast import ast, parser
from pglast.visitors import Visitor

from zdt.analysis.fields import required
from zdt.recipes.errors import PlanningError

Statement = TypeVar("Statement", ast.UpdateStmt, ast.DeleteStmt)


class _Names(Visitor):
    """Every relation name and alias used inside the parts visited."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.found.add(required(node.relname, "RangeVar.relname"))
        if node.alias is not None:
            self.found.add(required(node.alias.aliasname, "Alias.aliasname"))

    def visit_Alias(self, ancestors: object, node: ast.Alias) -> None:
        self.found.add(required(node.aliasname, "Alias.aliasname"))

    def visit_CommonTableExpr(self, ancestors: object, node: ast.CommonTableExpr) -> None:
        self.found.add(required(node.ctename, "CommonTableExpr.ctename"))


class _Qualify(Visitor):
    """``alias.column`` -> ``table.column`` (and ``alias.*`` -> ``table.*``)."""

    def __init__(self, alias: str, qualifier: tuple[str, ...]) -> None:
        super().__init__()
        self.alias = alias
        self.qualifier = tuple(ast.String(sval=name) for name in qualifier)

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> ast.ColumnRef | None:
        fields = tuple(node.fields or ())
        if len(fields) >= 2 and isinstance(fields[0], ast.String) and fields[0].sval == self.alias:
            return ast.ColumnRef(fields=(*self.qualifier, *fields[1:]), location=node.location)
        return None


def unaliased(node: Statement, sql_text: str, line: int) -> Statement:
    """``node`` itself when its table has no alias; else a fresh parse of ``sql_text`` with the alias
    spelled out as the table's name. Raises PlanningError where that could change what a name means."""
    relation = required(node.relation, "relation")
    if relation.alias is None:
        return node
    [raw] = parser.parse_sql(sql_text)
    fresh = raw.stmt
    if not isinstance(fresh, type(node)):
        raise PlanningError(f"line {line}: the statement did not parse again as {type(node).__name__}")
    target = required(fresh.relation, "relation")
    alias = required(required(target.alias, "alias").aliasname, "Alias.aliasname")
    relname = required(target.relname, "RangeVar.relname")
    inside = _Names()
    for part in _parts(fresh):
        inside(part)
    clash = {alias, relname} & inside.found
    if clash:
        raise PlanningError(
            f"line {line}: the alias {alias} of {relname} cannot be spelled out for the batches: "
            f"{', '.join(sorted(clash))} is also a name inside the statement. Write the table's name "
            "instead of the alias, or give the other relation another alias"
        )
    qualifier = (target.schemaname, relname) if target.schemaname else (relname,)
    qualify = _Qualify(alias, qualifier)
    for part in _parts(fresh):
        if isinstance(part, tuple):
            qualify(part)  # its items are ResTarget / RangeVar / JoinExpr, never a bare ColumnRef
    if fresh.whereClause is not None:
        fresh.whereClause = qualify(fresh.whereClause)  # the root itself may be a ColumnRef
    target.alias = None
    return fresh


def _parts(node: ast.UpdateStmt | ast.DeleteStmt) -> list[ast.Node | tuple[ast.Node, ...]]:
    """Where references to the alias can be: everything but the target relation itself."""
    parts: list[ast.Node | tuple[ast.Node, ...]] = []
    if isinstance(node, ast.UpdateStmt):
        parts += [tuple(node.targetList or ()), tuple(node.fromClause or ())]
    else:
        parts.append(tuple(node.usingClause or ()))
    if node.whereClause is not None:
        parts.append(node.whereClause)
    if node.returningClause:
        parts.append(
            node.returningClause
        )  # refused later (batches return nothing); named for the clash check
    return [part for part in parts if part != ()]
