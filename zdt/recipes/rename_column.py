"""RENAME COLUMN on a live table -> a second column under the new name, kept equal, and the old one dropped
once no code uses it.

The plain statement is quick, but every running query that names the old column fails at once with
"column does not exist", and the previous release can no longer be rolled back to. Instead (machinery
in ``_column_move`` / ``_column_sync``, design in docs/column-sync.md):

start (expand):   ADD COLUMN <new> of the same type (the old default, if not volatile); a trigger function
                  and a BEFORE INSERT OR UPDATE trigger (``zdt_sync_<table>_<old>``) in one transaction,
                  copying whichever column a statement wrote into the other; NOT VALID NOT NULL constraint
                  if <old> is NOT NULL
verify:           the column exists; the trigger is enabled and calls the function; the constraint exists
rollback:         drop the trigger and the function; drop the column
start (migrate):  batched backfill where <new> differs; VACUUM (ANALYZE) and a check that every row agrees;
                  NOT NULL validated; each index of <old> built again for <new> CONCURRENTLY
verify:           no row differs; constraints validated; indexes valid
rollback:         DROP INDEX CONCURRENTLY; DROP NOT NULL; the data needs none (the column goes)
complete (contract), only once every application instance uses <new>: drop the trigger, the function and
                  <old>; the new indexes take the old names. Irreversible. The table then looks as the
                  RENAME would have left it (the column's position aside).

During the transition old code reads and writes <old> and new code <new>, and each sees the other's
writes. Nothing is renamed in place, so prepared statements naming either column keep working; the
contract removes <old> only after the code using it is gone. The column's collation is not in the
schema snapshot: a column with a non-default collation gets the type's default one (check before use).
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis.fields import required
from zdt.plan.model import Step
from zdt.recipes._column_move import plan_move
from zdt.recipes._column_sync import plan_steps
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, relation_name


class RenameColumn(Recipe):
    id = "rename-column"
    summary = (
        "Rename a column without breaking running code: a new column kept equal by a trigger and "
        "backfilled in batches; the old one is dropped once no code uses it."
    )
    examples = (
        RecipeExample(
            title="a NOT NULL column with a unique index",
            schema="""
                CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);
                INSERT INTO users SELECT g, 'user ' || g, 'u' || g || '@example.com'
                FROM generate_series(1, 12000) g;
                CREATE UNIQUE INDEX users_name_key ON users (name);
                ANALYZE users;
            """,
            sql="ALTER TABLE users RENAME COLUMN name TO full_name;",
            plan="""
                expand   s01-add-full_name
                    ALTER TABLE public.users ADD COLUMN full_name text
                expand   s01-sync-trigger
                    CREATE FUNCTION public.zdt_sync_users_name() RETURNS trigger LANGUAGE plpgsql SET
                        search_path FROM CURRENT AS $$ … $$
                    CREATE TRIGGER "zdt_sync_users_name" BEFORE INSERT OR UPDATE ON "public"."users" FOR
                        EACH ROW EXECUTE FUNCTION "public"."zdt_sync_users_name"()
                expand   s01-full_name-not-null-not-valid
                    ALTER TABLE "public"."users" ADD CONSTRAINT "users_full_name_not_null" NOT NULL
                        "full_name" NOT VALID
                migrate  s01-backfill
                    in batches by id: UPDATE public.users SET "full_name" = name WHERE "full_name" IS
                        DISTINCT FROM name
                migrate  s01-vacuum
                    VACUUM (ANALYZE) "public"."users"
                migrate  s01-full_name-validate-not-null
                    ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_full_name_not_null"
                migrate  s01-index-users_name_key
                    CREATE UNIQUE INDEX CONCURRENTLY users_name_key_zdt ON public.users (full_name)
                contract s01-drop-name (irreversible)
                    DROP TRIGGER "zdt_sync_users_name" ON "public"."users"
                    DROP FUNCTION "public"."zdt_sync_users_name"()
                    ALTER TABLE "public"."users" DROP COLUMN "name"
                    ALTER INDEX "public"."users_name_key_zdt" RENAME TO "users_name_key"
            """,
            plan_before_pg18="""
                expand   s01-add-full_name
                    ALTER TABLE public.users ADD COLUMN full_name text
                expand   s01-sync-trigger
                    CREATE FUNCTION public.zdt_sync_users_name() RETURNS trigger LANGUAGE plpgsql SET
                        search_path FROM CURRENT AS $$ … $$
                    CREATE TRIGGER "zdt_sync_users_name" BEFORE INSERT OR UPDATE ON "public"."users" FOR
                        EACH ROW EXECUTE FUNCTION "public"."zdt_sync_users_name"()
                expand   s01-full_name-check-not-valid
                    ALTER TABLE "public"."users" ADD CONSTRAINT "users_full_name_not_null" CHECK
                        ("full_name" IS NOT NULL) NOT VALID
                migrate  s01-backfill
                    in batches by id: UPDATE public.users SET "full_name" = name WHERE "full_name" IS
                        DISTINCT FROM name
                migrate  s01-vacuum
                    VACUUM (ANALYZE) "public"."users"
                migrate  s01-full_name-validate-check
                    ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_full_name_not_null"
                migrate  s01-full_name-set-not-null
                    -- zdt-ignore: setting-not-null -- the CHECK validated by the previous step proves
                        it: no scan
                    ALTER TABLE "public"."users" ALTER COLUMN "full_name" SET NOT NULL
                migrate  s01-full_name-drop-check
                    ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_full_name_not_null"
                migrate  s01-index-users_name_key
                    CREATE UNIQUE INDEX CONCURRENTLY users_name_key_zdt ON public.users (full_name)
                contract s01-drop-name (irreversible)
                    DROP TRIGGER "zdt_sync_users_name" ON "public"."users"
                    DROP FUNCTION "public"."zdt_sync_users_name"()
                    ALTER TABLE "public"."users" DROP COLUMN "name"
                    ALTER INDEX "public"."users_name_key_zdt" RENAME TO "users_name_key"
            """,
            old_queries=(
                "SELECT id, name FROM users WHERE name = 'user 1'",
                "INSERT INTO users (id, name) VALUES (12001, 'written by the old release')",
                "UPDATE users SET name = 'renamed by the old release' WHERE id = 2",
            ),
            new_queries=(
                "SELECT id, full_name FROM users WHERE full_name = 'user 1'",
                "INSERT INTO users (id, full_name) VALUES (12001, 'written by the new release')",
                "UPDATE users SET full_name = 'renamed by the new release' WHERE id = 2",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return (
            isinstance(node, ast.RenameStmt)
            and node.renameType == ObjectType.OBJECT_COLUMN
            and node.relationType == ObjectType.OBJECT_TABLE
            and node.relation is not None
            and context.is_existing(relation_name(node))
        )

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.RenameStmt)
        table = relation_name(node)
        old = required(node.subname, "RenameStmt.subname")
        new = required(node.newname, "RenameStmt.newname")
        move = plan_move(
            context,
            table=table,
            old=old,
            new=new,
            new_type=None,
            conversion=None,
            collation=None,
            purpose=f"rename {table}.{old} to {new}",
            handover=(
                f"every application instance reads and writes {table}.{new} and none uses {old} any more "
                "(both names work until then)"
            ),
        )
        return plan_steps(move, context, self.id)
