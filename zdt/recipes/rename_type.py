"""ALTER TYPE ... RENAME TO: planned where no running release can name the type, refused where one can.

Renaming a type is a catalogue-only change: it takes AccessExclusiveLock on the type for a moment, which
no query waits for (queries lock tables, not types), and locks no table. What breaks is the name:
applications write it into their queries (Prisma casts every enum value it sends, ``CAST($1::text AS
"public"."Role")``), and from the rename's COMMIT on a query naming the old name fails. A type that
columns in use have is named by the running release, and by the new one under whichever name the file
ends with, so there is no phase in which renaming it breaks neither: refused, naming the columns and
what to write instead. That includes the enum swap Prisma writes to remove labels (CREATE TYPE "X_new";
ALTER COLUMN ... TYPE "X_new"; ALTER TYPE "X" RENAME TO "X_old"; ALTER TYPE "X_new" RENAME TO "X"; DROP
TYPE "X_old"): the safe alternative keeps the type, since PostgreSQL cannot drop an enum label and an
unused one is harmless, moves the rows off the removed labels (an UPDATE) and keeps new rows off them
with a CHECK constraint added NOT VALID and then validated.

new type: (one the schema before the plan did not have: this plan creates it) expand; the statement as
          written. verify: to_regtype(<new name>) is not null. rollback: ALTER TYPE <new name> RENAME TO
          <old name>.
unused:   (an existing type no column has) contract, once the old release is gone; same verify and
          rollback. The new release must not name the new name before the contract has run.
Without a schema snapshot zdt cannot tell which columns have the type: refused, plan with --database-url.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType
from pglast.stream import maybe_double_quote_name

from zdt.analysis import names
from zdt.analysis.fields import nodes_of, required
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    literal,
    render,
    split_name,
)
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import SchemaSnapshot


class RenameType(Recipe):
    id = "rename-type"
    summary = (
        "Rename a type no running release can name (new in this plan, or used by no column); refuse the "
        "rename of a type live columns have, with what to write instead."
    )
    examples = (
        RecipeExample(
            title="a type this plan creates, renamed before anything names it",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                CREATE TYPE post_state AS ENUM ('draft', 'published');
                ALTER TYPE post_state RENAME TO publication_state;
            """,
            plan="""
                expand   s01-create-enum
                    CREATE TYPE post_state AS ENUM ('draft', 'published')
                expand   s02-rename-type
                    ALTER TYPE post_state RENAME TO publication_state
            """,
            old_queries=("SELECT id, title FROM posts WHERE id = 1",),
            new_queries=("SELECT 'draft'::publication_state",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TYPE

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.RenameStmt)
        line = context.statement.line
        old = names.of_name_list(nodes_of(node.object, ast.String, "ALTER TYPE's RenameStmt.object"))
        schema, old_name = split_name(old)
        new_name = required(node.newname, "RenameStmt.newname")
        new = names.qualified(schema, new_name)
        snapshot = context.snapshot
        if snapshot is None:
            raise PlanningError(
                f"line {line}: ALTER TYPE {old} RENAME TO {maybe_double_quote_name(new_name)}: without the "
                "schema zdt cannot tell which columns have the type, whose queries the rename would break: "
                "plan with --database-url"
            )
        users = _columns_with_type(snapshot, schema, old_name)
        if users:
            raise PlanningError(_refusal(line, old, old_name, new_name, users))
        existed = old in snapshot.enums
        phase = Phase.CONTRACT if existed else Phase.EXPAND
        why = (
            "no column has it, and the old release, which may still name it, is gone by contract"
            if existed
            else "this plan creates it, so no running release names it yet"
        )
        return [
            context.step(
                "rename-type",
                phase=phase,
                description=(
                    f"rename type {old} to {new_name}: a catalogue-only change under AccessExclusiveLock on "
                    f"the type for a moment, which no query waits for and no table shares; {why}"
                ),
                sql=[context.statement.sql],
                verify=Verification(
                    sql=render("SELECT to_regtype({t}) IS NOT NULL", t=literal(new)),
                    description=f"type {new} exists",
                ),
                rollback=Rollback(
                    sql=[render("ALTER TYPE {t} RENAME TO {old}", t=ident(new), old=column(old_name))]
                ),
                lock=None,
                lock_duration=LockDuration.NONE,
                recipe=self.id,
            )
        ]


def _columns_with_type(snapshot: SchemaSnapshot, schema: str, name: str) -> list[str]:
    """The columns (``table.column``) whose type, or array element type, is ``schema.name``.

    format_type() spells the type without its schema when the schema is on the search path (public) and
    quotes it as an identifier: ``"Role"``, ``billing."Role"``.
    """
    spelled = maybe_double_quote_name(name)
    accepted = {f"{maybe_double_quote_name(schema)}.{spelled}"} | ({spelled} if schema == "public" else set())
    return sorted(
        f"{table.name}.{info.name}"
        for table in snapshot.tables.values()
        if table.kind in ("r", "p")
        for info in table.columns.values()
        if info.base_type.removesuffix("[]") in accepted
    )


def _refusal(line: int, old: str, old_name: str, new_name: str, users: list[str]) -> str:
    listed = ", ".join(users)
    message = (
        f"line {line}: ALTER TYPE {old} RENAME TO {maybe_double_quote_name(new_name)} renames a type that "
        f"columns in use have ({listed}): an application naming the type in its queries (Prisma casts "
        f"every enum value it writes: CAST($1::text AS {maybe_double_quote_name(old_name)})) fails from "
        "the rename on, and there is no phase in which neither release names it"
    )
    if new_name.endswith("_old") or old_name.endswith("_new"):
        column_ref = users[0].rsplit(".", 1)[-1]
        message += (
            f"; this is the enum swap that removes labels (CREATE TYPE, ALTER COLUMN TYPE, two renames, DROP "
            f"TYPE): instead keep type {old} as it is (PostgreSQL cannot drop an enum label, and an unused "
            f"one is harmless), move the rows off the removed labels (UPDATE ... SET {column_ref} = ... "
            f"WHERE {column_ref} = '<label>'), and keep new rows off them with ALTER TABLE ... ADD "
            f"CONSTRAINT ... CHECK ({column_ref} <> '<label>') NOT VALID, then VALIDATE CONSTRAINT"
        )
    else:
        message += (
            f"; keep the name {old}, or add a new type next to it and move each column to it (ALTER COLUMN "
            "... TYPE), dropping the old type in a later migration"
        )
    return message
