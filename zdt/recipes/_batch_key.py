"""Which column a batched backfill walks: the table's single-column primary key, from the snapshot.

Not a recipe. Backfills update a table in key ranges, each range in its own short transaction, so that
row locks are held for one batch only; that needs a key that is unique, never NULL and indexed, which is
exactly a primary key. A composite or missing key cannot be walked by one range, so the planner refuses
rather than guess (a unique index on a nullable column would silently skip the rows whose key is NULL).
"""

from __future__ import annotations

from pglast import ast, parser

from zdt.recipes.base import PlanningContext
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import IndexInfo


def primary_key_column(context: PlanningContext, table: str) -> str | None:
    """The single key column of ``table``'s primary key in the pre-migration snapshot, else None."""
    info = context.snapshot.table(table) if context.snapshot else None
    if info is None:
        return None
    for index in info.indexes:
        if index.primary and index.valid:
            return _single_key_column(index)
    return None


def require_batch_key(context: PlanningContext, table: str, purpose: str) -> str:
    """The key column to batch ``table`` by; a PlanningError naming the table when there is none."""
    key = primary_key_column(context, table)
    if key is not None:
        return key
    if context.snapshot is None:
        reason = (
            f"zdt cannot see the primary key of {table} without a schema snapshot (plan against the database)"
        )
    else:
        reason = f"{table} has no single-column primary key (add one, e.g. a bigint identity column)"
    raise PlanningError(
        f"line {context.statement.line}: {purpose} must run in batches by a single-column primary key, "
        f"but {reason}; or make this change by hand"
    )


def _single_key_column(index: IndexInfo) -> str | None:
    """Read the key column from pg_get_indexdef's text with the parser, not by string matching."""
    statement = parser.parse_sql(index.definition)[0].stmt
    if not isinstance(statement, ast.IndexStmt):
        return None
    elements = list(statement.indexParams or ())
    if len(elements) != 1 or not isinstance(elements[0], ast.IndexElem) or elements[0].name is None:
        return None
    return str(elements[0].name)
