"""Which relations a piece of a statement reads (a FROM or USING list, a SELECT): not a recipe.

Batches of a statement that reads its own target table would each see what earlier batches wrote, and a
verification that re-runs such a SELECT would see the rows the statement added: recipes refuse or fall
back on these, and ask here.
"""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.visitors import Visitor

from zdt.analysis import names


class _Relations(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.found.add(names.of_range_var(node))


def relations_read(parts: Iterable[ast.Node] | None) -> set[str]:
    """Every relation the nodes name (joins and subqueries included), as ``names.of_range_var`` spells it."""
    visitor = _Relations()
    for part in parts or ():
        visitor(part)
    return visitor.found


def unbatchable_parts(node: ast.UpdateStmt | ast.DeleteStmt, verb: str) -> list[str]:
    """What a keyset-batched UPDATE or DELETE cannot carry over from the statement, each with why.

    ``verb`` is "update" or "delete", for the messages. Batches name the table itself, walk its
    children with it, run in their own transactions and return nothing, so RETURNING, WITH, a cursor,
    ONLY and an alias have no batched equivalent.
    """
    reasons = []
    if node.returningClause:
        reasons.append("RETURNING (batches return nothing to the caller)")
    if node.withClause:
        reasons.append("WITH (move the CTE into a subquery)")
    if isinstance(node.whereClause, ast.CurrentOfExpr):
        reasons.append("WHERE CURRENT OF (a cursor cannot span batches)")
    relation = node.relation
    if relation is not None and not relation.inh:
        reasons.append(f"ONLY (batches {verb} the table with its children)")
    if relation is not None and relation.alias is not None:
        reasons.append("a table alias (the batches name the table itself: drop the alias)")
    return reasons
