"""ALTER COLUMN ... TYPE that rewrites the table -> a new column kept in sync; the application moves to it.

The plain statement rewrites the table and rebuilds its indexes under AccessExclusiveLock: no read and
no write until it ends (measured here: 4.1 s of stalled traffic for int -> bigint on 5M rows). Instead
(machinery in ``_column_move`` / ``_column_sync``, design in docs/column-sync.md):

start (expand):   ADD COLUMN <col>_zdt_new <new type> (the old default, if not volatile: the one an
                  earlier SET / DROP DEFAULT of the file left); a trigger function and a BEFORE INSERT OR
                  UPDATE trigger (``zdt_sync_<table>_<col>``) in one transaction, copying old -> new as
                  ``CAST(<col> AS <new type>)`` (or ``CAST(<USING expression> AS <new type>)``) and new ->
                  old as ``CAST(<col>_zdt_new AS <old type>)`` (by way of text from an enum: PostgreSQL
                  casts no enum to another), refusing a write that would not survive the copy back; NOT
                  VALID NOT NULL constraint if <col> is NOT NULL
verify:           the column exists; the trigger is enabled and calls the function; the constraint exists
rollback:         drop the trigger and the function; drop the column
start (migrate):  batched backfill where the new column disagrees; VACUUM (ANALYZE) and a check that every
                  row agrees; NOT NULL validated; each index of <col> built again for <col>_zdt_new
                  CONCURRENTLY
verify:           no row disagrees; constraints validated; indexes valid
rollback:         DROP INDEX CONCURRENTLY; DROP NOT NULL; the data needs none (the column goes)
complete (contract), only once every application instance reads and writes <col>_zdt_new: drop the
                  trigger, the function and <col>; the new indexes take the old names. Irreversible.

The switch-over, and why it is not a rename swap: after ``<col> -> <col>_old, <col>_zdt_new -> <col>``
every session holding a server-side prepared statement that returns <col> fails with "cached plan must
not change result type" until it reconnects (measured here: thousands of errors under load; proven on the
server by the tests). So the application moves to the new name: a release that reads and writes
<col>_zdt_new is deployed while both columns are kept equal; old instances keep using <col>, whose name
and type never change while they run; the contract drops <col> only after they are gone. No column any
running session uses ever changes type, so no prepared statement breaks. The price is the name: the
column keeps the name <col>_zdt_new; giving it another one is a rename (the rename-column recipe), which
prepared statements survive the same way.

USING may refer to the changed column only (the trigger copies one column into another) and must not be
volatile (the backfill and the agreement check must compute the same value).
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT

from zdt.analysis.fields import node_of, required
from zdt.analysis.names import derived_name
from zdt.analysis.parse_tree import referenced_columns
from zdt.analysis.volatility import is_volatile
from zdt.plan.model import Phase, Step
from zdt.recipes._column_move import plan_move
from zdt.recipes._column_sync import plan_steps
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    deparse,
    ident,
    relation_name,
    render,
    single_alter_command,
)
from zdt.recipes.errors import PlanningError

NEW_COLUMN_SUFFIX = "_zdt_new"


class ChangeColumnType(Recipe):
    id = "change-column-type"
    summary = (
        "Change a column's type without a rewrite under AccessExclusiveLock: a new column kept in sync by "
        "a trigger and backfilled in batches; the application moves to it, then the old one is dropped."
    )
    examples = (
        RecipeExample(
            title="integer to bigint",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, views integer);
                INSERT INTO posts SELECT g, 'post ' || g, g % 1000 FROM generate_series(1, 12000) g;
                CREATE INDEX posts_views_idx ON posts (views);
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts ALTER COLUMN views TYPE bigint;",
            plan="""
                expand   s01-add-views_zdt_new
                    ALTER TABLE public.posts ADD COLUMN views_zdt_new bigint
                expand   s01-sync-trigger
                    CREATE FUNCTION public.zdt_sync_posts_views() RETURNS trigger LANGUAGE plpgsql SET
                        search_path FROM CURRENT AS $$ … $$
                    CREATE TRIGGER "zdt_sync_posts_views" BEFORE INSERT OR UPDATE ON "public"."posts"
                        FOR EACH ROW EXECUTE FUNCTION "public"."zdt_sync_posts_views"()
                migrate  s01-backfill
                    in batches by id: UPDATE public.posts SET "views_zdt_new" = CAST(views AS bigint)
                        WHERE "views_zdt_new" IS DISTINCT FROM CAST(views AS bigint)
                migrate  s01-vacuum
                    VACUUM (ANALYZE) "public"."posts"
                migrate  s01-index-posts_views_idx
                    CREATE INDEX CONCURRENTLY posts_views_idx_zdt ON public.posts (views_zdt_new)
                contract s01-drop-views (irreversible)
                    DROP TRIGGER "zdt_sync_posts_views" ON "public"."posts"
                    DROP FUNCTION "public"."zdt_sync_posts_views"()
                    ALTER TABLE "public"."posts" DROP COLUMN "views"
                    ALTER INDEX "public"."posts_views_idx_zdt" RENAME TO "posts_views_idx"
            """,
            old_queries=(
                "SELECT id, views FROM posts WHERE views > 990 ORDER BY views LIMIT 5",
                "INSERT INTO posts (id, title, views) VALUES (12001, 'written by the old release', 1)",
                "UPDATE posts SET views = views + 1 WHERE id = 2",
            ),
            new_queries=(
                "SELECT id, views_zdt_new FROM posts WHERE views_zdt_new > 990 ORDER BY 2 LIMIT 5",
                "INSERT INTO posts (id, title, views_zdt_new) VALUES (12001, 'by the new release', 1)",
                "UPDATE posts SET views_zdt_new = views_zdt_new + 1 WHERE id = 2",
            ),
            end_state_sql="ALTER TABLE posts RENAME COLUMN views TO views_zdt_new;",
            end_state_why=(
                "the column keeps the name views_zdt_new that the new release moved to, so that no column a "
                "running session uses ever changes type; renaming it afterwards is the rename-column recipe"
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        command = single_alter_command(context.node, AT.AT_AlterColumnType)
        if command is None:
            return False
        return (
            context.is_existing(relation_name(context.node_as(ast.AlterTableStmt)))
            and context.report.rewrites_table
        )

    def steps(self, context: PlanningContext) -> list[Step]:
        command = single_alter_command(context.node, AT.AT_AlterColumnType)
        assert command is not None
        definition = node_of(command.def_, ast.ColumnDef, "ALTER COLUMN TYPE's AlterTableCmd.def_")
        table = relation_name(context.node_as(ast.AlterTableStmt))
        old = required(command.name, "ALTER COLUMN TYPE's AlterTableCmd.name")
        new = new_column_name(old)
        new_type = required(definition.typeName, "ALTER COLUMN TYPE's ColumnDef.typeName")
        purpose = f"change the type of {table}.{old} to {deparse(new_type)}"
        conversion = _conversion(context, definition.raw_default, old, purpose)
        move = plan_move(
            context,
            table=table,
            old=old,
            new=new,
            new_type=new_type,
            conversion=conversion,
            collation=definition.collClause,
            purpose=purpose,
            handover=(
                f"every application instance reads and writes {table}.{new} and none uses {old} any more "
                "(both names work until then)"
            ),
        )
        steps = plan_steps(move, context, self.id)
        renamed = render(
            "ALTER TABLE {t} RENAME COLUMN {old} TO {new}", t=ident(table), old=column(old), new=column(new)
        )
        return [
            step.model_copy(update={"end_state_sql": [renamed]}) if step.phase is Phase.CONTRACT else step
            for step in steps
        ]


def new_column_name(old: str) -> str:
    """``<col>_zdt_new``: the application's name for the column from the switch-over on."""
    return derived_name(old + NEW_COLUMN_SUFFIX)


def _conversion(context: PlanningContext, using: ast.Node | None, old: str, purpose: str) -> ast.Node:
    """The old value turned into the new one: the USING expression, or the column itself (then cast)."""
    if using is None:
        return ast.ColumnRef(fields=(ast.String(old),))
    others = set(referenced_columns(using)) - {old}
    line = context.statement.line
    if others:
        raise PlanningError(
            f"line {line}: cannot {purpose}: USING {deparse(using)} also reads {', '.join(sorted(others))}; "
            f"the sync trigger can only compute the new value from {old} itself"
        )
    volatility = context.snapshot.function_volatility if context.snapshot else None
    if is_volatile(using, volatility):
        raise PlanningError(
            f"line {line}: cannot {purpose}: USING {deparse(using)} is volatile, so the backfill and the "
            "check that every row agrees would compute different values"
        )
    return using
