"""DROP TYPE -> contract phase: the old release may still cast to the type or read columns of it.

Dropping a type takes no table lock (only the type's own entry), and PostgreSQL refuses the drop while a
column, function or other type still uses it, so the statement runs as written: a failed drop leaves the
database as it was. What matters is the release still running: a query casting to an enum (``'draft'::
post_state``) fails once it is gone, so the drop waits for contract, like a column.

drop:     contract; the statement as written (CASCADE refused: it would drop the columns and functions
          using the type with it, which no rollback can bring back). verify: the types no longer exist.
          rollback: an enum the snapshot knows is created again with its labels, in order; any other
          type (composite, domain, range) is irreversible here, saying why.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import DropBehavior, ObjectType
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, ident, literal, render
from zdt.recipes.errors import PlanningError


class DropTypeInContract(Recipe):
    id = "drop-type"
    summary = "Drop types in the contract phase; an enum's rollback creates it again with its labels."
    examples = (
        RecipeExample(
            title="an enum no column uses any more",
            schema="""
                CREATE TYPE legacy_state AS ENUM ('draft', 'published', 'archived');
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="DROP TYPE legacy_state;",
            plan="""
                contract s01-drop-type
                    DROP TYPE legacy_state
            """,
            old_queries=("SELECT 'draft'::legacy_state, enum_range(NULL::legacy_state)",),
            new_queries=("SELECT id, title FROM posts WHERE id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TYPE

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.DropStmt)
        line = context.statement.line
        types = [_type_name(item, line) for item in node.objects or ()]
        if node.behavior == DropBehavior.DROP_CASCADE:
            raise PlanningError(
                f"line {line}: DROP TYPE ... CASCADE also drops the columns and functions using "
                f"{', '.join(types)}, which no rollback could bring back: drop or change those first, each "
                "in its own statement, then drop the type without CASCADE"
            )
        enums = context.snapshot.enums if context.snapshot else {}
        return [
            context.step(
                "drop-type",
                phase=Phase.CONTRACT,
                description=(
                    f"drop type {', '.join(types)} once the old release (which may cast to it) is gone; "
                    "PostgreSQL refuses the drop while a column or function still uses it"
                ),
                sql=[context.statement.sql],
                verify=Verification(
                    sql=_all_absent(types), description=f"{', '.join(types)} no longer exist"
                ),
                rollback=_rollback(types, enums, context),
                lock=None,
                lock_duration=LockDuration.NONE,
                recipe=self.id,
            )
        ]


def _type_name(item: object, line: int) -> str:
    type_name = item if isinstance(item, ast.TypeName) else None
    listed = (type_name.names if type_name else None) or ()
    parts = [part.sval for part in listed if isinstance(part, ast.String)]
    if not parts:
        raise PlanningError(f"line {line}: DROP TYPE names no type zdt can read")
    return names.qualified(parts[-2] if len(parts) > 1 else None, required(parts[-1], "TypeName.names"))


def _rollback(types: list[str], enums: dict[str, list[str]], context: PlanningContext) -> Rollback:
    """The enums created again with their labels; anything else cannot be, and says so."""
    if context.snapshot is None:
        return Rollback(irreversible="planned without a database: the types' definitions are unknown")
    unknown = [name for name in types if name not in enums]
    if unknown:
        return Rollback(
            irreversible=(
                f"{', '.join(unknown)} is not an enum the snapshot knows (composite, domain and range "
                "types are not in it, nor types this plan creates): re-create it from its definition to go "
                "back"
            )
        )
    return Rollback(
        sql=[
            render(
                "CREATE TYPE {t} AS ENUM ({labels})",
                t=ident(name),
                labels=sql.SQL(", ").join(literal(label) for label in enums[name]),
            )
            for name in types
        ]
    )


def _all_absent(types: list[str]) -> str:
    absent = sql.SQL(" AND ").join(sql.SQL("to_regtype({}) IS NULL").format(literal(name)) for name in types)
    return render("SELECT {absent}", absent=absent)
