"""ALTER COLUMN ... DROP NOT NULL -> run as written, in the expand phase, with a scan-free way back.

Dropping NOT NULL is a catalog change: a brief AccessExclusiveLock, no scan, no rewrite. It only loosens:
the running release never writes NULL into the column (it could not), and the next release may need to
from its first request, so the change belongs to expand, before the new code deploys.

The risk is in undoing it: a plain ``SET NOT NULL`` reads the whole table under AccessExclusiveLock.
The rollback takes the not-null route (``_not_null_route``) instead.

start:    ALTER TABLE t ALTER COLUMN c DROP NOT NULL, as written
verify:   the column is nullable
rollback: PostgreSQL 18: ADD CONSTRAINT <t>_<c>_not_null NOT NULL c NOT VALID, then VALIDATE it;
          12-17: CHECK (c IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL (no scan: the CHECK proves it),
          drop the CHECK. Outside a transaction, each statement committing on its own, so the validation
          scan holds only ShareUpdateExclusiveLock. It fails if NULLs were written meanwhile (fill them,
          then roll back again: it starts by clearing its own leftover). Before 12: SET NOT NULL, which
          scans under AccessExclusiveLock.

A primary key column is refused (PostgreSQL keeps it NOT NULL); a column that is already nullable gets
a step whose rollback is not needed. PostgreSQL 18's ``DROP CONSTRAINT <t>_<c>_not_null`` is planned the
same way by drop-constraint.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT

from zdt.analysis.fields import required
from zdt.plan.model import Step
from zdt.recipes._not_null_route import drop_not_null_step
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, relation_name, single_alter_command


class DropNotNull(Recipe):
    id = "drop-not-null"
    summary = "Drop NOT NULL in the expand phase; the rollback restores it without a blocking scan."
    examples = (
        RecipeExample(
            title="a column the new release may leave empty",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, subtitle text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g, 'about ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts ALTER COLUMN subtitle DROP NOT NULL;",
            plan="""
                expand   s01-subtitle-drop-not-null
                    ALTER TABLE posts ALTER COLUMN subtitle DROP NOT NULL
            """,
            old_queries=(
                "SELECT id, subtitle FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title, subtitle) VALUES (12001, 'by the old release', 'it')",
            ),
            new_queries=(
                "INSERT INTO posts (id, title) VALUES (12001, 'by the new release, without a subtitle')",
                "SELECT count(*) FROM posts WHERE subtitle IS NULL",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return single_alter_command(context.node, AT.AT_DropNotNull) is not None

    def steps(self, context: PlanningContext) -> list[Step]:
        command = single_alter_command(context.node, AT.AT_DropNotNull)
        assert command is not None
        column_name = required(command.name, "DROP NOT NULL's AlterTableCmd.name")
        return [
            drop_not_null_step(
                context,
                relation_name(context.node_as(ast.AlterTableStmt)),
                column_name,
                sql=context.statement.sql,
                recipe=self.id,
                suffix=f"{column_name}-drop-not-null",
            )
        ]
