"""ALTER COLUMN ... SET NOT NULL on a live table -> a validated constraint first, so nothing scans under
AccessExclusiveLock.

The plain statement reads every row while holding AccessExclusiveLock: reads and writes of the table
wait for the whole scan. The route (see ``_not_null_route``) moves that scan into VALIDATE CONSTRAINT,
which holds only ShareUpdateExclusiveLock:

start (migrate): PostgreSQL 18: ADD CONSTRAINT <t>_<col>_not_null NOT NULL col NOT VALID; VALIDATE it.
                 PostgreSQL 12-17: CHECK (col IS NOT NULL) NOT VALID; VALIDATE; SET NOT NULL (no scan
                 thanks to the valid CHECK); DROP the CHECK.
verify:          each constraint exists / is validated; attnotnull is true at the end
rollback:        drop the constraint; DROP NOT NULL

When the analyser finds no scan (a valid CHECK (col IS NOT NULL) exists already, PostgreSQL 12+), the
statement runs as written in one verified step.

Migrate, not expand: old code that still writes NULL into the column starts failing the moment the NOT
VALID constraint exists, so the column must already be filled by every running release.

PostgreSQL 18's ``ADD CONSTRAINT n NOT NULL col`` (validating at once) takes the same route, keeping the
user's constraint name.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes._not_null_route import not_null_steps
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    relation_name,
    render,
    single_alter_command,
)


class SetNotNullViaConstraint(Recipe):
    id = "set-not-null"
    summary = "Make a column NOT NULL through a validated constraint, so no scan holds AccessExclusiveLock."
    examples = (
        RecipeExample(
            title="a column every release already fills",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts ALTER COLUMN title SET NOT NULL;",
            plan="""
                migrate  s01-title-not-null-not-valid
                    ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_title_not_null" NOT NULL "title"
                        NOT VALID
                migrate  s01-title-validate-not-null
                    ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_title_not_null"
            """,
            plan_before_pg18="""
                migrate  s01-title-check-not-valid
                    ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_title_not_null" CHECK ("title" IS
                        NOT NULL) NOT VALID
                migrate  s01-title-validate-check
                    ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_title_not_null"
                migrate  s01-title-set-not-null
                    -- zdt-ignore: setting-not-null -- the CHECK validated by the previous step proves
                        it: no scan
                    ALTER TABLE "public"."posts" ALTER COLUMN "title" SET NOT NULL
                migrate  s01-title-drop-check
                    ALTER TABLE "public"."posts" DROP CONSTRAINT IF EXISTS "posts_title_not_null"
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "SELECT id FROM posts WHERE title IS NOT NULL ORDER BY id LIMIT 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the new release')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        command = single_alter_command(context.node, AT.AT_SetNotNull, AT.AT_AddConstraint)
        if command is None or not context.is_existing(relation_name(context.node_as(ast.AlterTableStmt))):
            return False
        if command.subtype == AT.AT_SetNotNull:
            return True  # when it does not scan, it still needs a verified, reversible step
        return context.report.scans_table and _target(command) is not None

    def steps(self, context: PlanningContext) -> list[Step]:
        command = single_alter_command(context.node, AT.AT_SetNotNull, AT.AT_AddConstraint)
        assert command is not None
        target = _target(command)
        assert target is not None
        column_name, constraint = target
        table = relation_name(context.node_as(ast.AlterTableStmt))
        if not context.report.scans_table:
            return [self._plain_step(context, table, column_name)]
        return not_null_steps(
            context, table, column_name, phase=Phase.MIGRATE, recipe=self.id, constraint=constraint
        )

    def _plain_step(self, context: PlanningContext, table: str, column_name: str) -> Step:
        """SET NOT NULL that the analyser proved scan-free (a valid CHECK, or already NOT NULL)."""
        info = context.snapshot.table(table) if context.snapshot else None
        already = info is not None and column_name in info.columns and info.columns[column_name].not_null
        if already:
            rollback = Rollback(not_needed=f"{table}.{column_name} was NOT NULL before this step")
        else:
            rollback = Rollback(
                sql=[
                    render(
                        "ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL",
                        t=ident(table),
                        c=column(column_name),
                    )
                ]
            )
        return context.step(
            f"{column_name}-set-not-null",
            phase=Phase.MIGRATE,
            description=(
                f"SET NOT NULL on {table}.{column_name}: a valid CHECK ({column_name} IS NOT NULL) already "
                "proves it, so PostgreSQL skips the scan and the AccessExclusiveLock is brief"
            ),
            sql=[context.statement.sql],
            verify=Verification(
                sql=checks.column_not_null_is(table, column_name, True),
                description=f"{table}.{column_name} is NOT NULL",
            ),
            rollback=rollback,
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )


def _target(command: ast.AlterTableCmd) -> tuple[str, str | None] | None:
    """(column, constraint name or None) for SET NOT NULL and for ADD CONSTRAINT n NOT NULL col."""
    if command.subtype == AT.AT_SetNotNull:
        return required(command.name, "SET NOT NULL's AlterTableCmd.name"), None
    constraint = command.def_
    if (
        command.subtype == AT.AT_AddConstraint
        and isinstance(constraint, ast.Constraint)
        and constraint.contype == ConstrType.CONSTR_NOTNULL
        and not constraint.skip_validation
        and len(constraint.keys or ()) == 1
    ):
        return required(constraint.keys, "Constraint.keys")[0].sval, constraint.conname
    return None
