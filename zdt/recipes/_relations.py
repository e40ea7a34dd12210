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
