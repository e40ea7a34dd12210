"""ALTER TABLE ... DROP COLUMN -> contract phase only: a guard step proving nothing in the database uses the
column, then the drop, explicitly irreversible.

The running release must no longer read or write the column (ORMs that list every mapped column fail on
every query of the table otherwise) — the catalog cannot prove that, so the guard's description says so
and the drop waits for the contract phase. What the catalog can prove is checked right before the drop:
no index, view, rule, foreign key, statistics object, trigger, multi-column constraint or generated column
uses the column (``dependents``). Several of those would otherwise vanish silently with it (an index on
it, a constraint spanning it and another column), which is worse than a failed DROP: drop them
deliberately first, an index CONCURRENTLY.

guard:    read-only catalog query; verify: nothing uses the column. rollback: not needed.
drop:     the statement as written (AccessExclusiveLock, brief: a catalog change, the data stays on disk
          until rewritten). verify: the column is gone.
          rollback: irreversible — the values cannot be read back; rollback means restore from backup.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes import _dependents as dependents
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, relation_name, single_alter_command

RESTORE_FROM_BACKUP = "a dropped column's values cannot be read back: rollback means restore from backup"


class DropColumnInContract(Recipe):
    id = "drop-column"
    summary = "Drop columns in the contract phase, after a check that no index, view or constraint uses them."
    examples = (
        RecipeExample(
            title="a column the new release no longer uses",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, legacy_flags integer);
                INSERT INTO posts SELECT g, 'post ' || g, g % 4 FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts DROP COLUMN legacy_flags;",
            plan="""
                contract s01-check-legacy_flags-unused
                    check: nothing in the database uses public.posts.legacy_flags
                contract s01-drop-legacy_flags (irreversible)
                    ALTER TABLE posts DROP COLUMN legacy_flags
            """,
            old_queries=(
                "SELECT id, title, legacy_flags FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title, legacy_flags) VALUES (12001, 'written by the old release', 0)",
            ),
            new_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the new release')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        if single_alter_command(context.node, AT.AT_DropColumn) is None:
            return False
        return context.is_existing(relation_name(context.node_as(ast.AlterTableStmt)))

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.AlterTableStmt)
        table = relation_name(node)
        name = required(
            required(node.cmds, "AlterTableStmt.cmds")[0].name, "DROP COLUMN's AlterTableCmd.name"
        )
        check = dependents.nothing_depends_on_column(table, name)
        guard = context.step(
            f"check-{name}-unused",
            phase=Phase.CONTRACT,
            description=(
                f"before dropping {table}.{name}: the application must have stopped using it (deploy the "
                "release that no longer reads or writes it first; the catalog cannot prove this). Checked "
                "here: no index, view, rule, foreign key, statistics object, trigger, multi-column "
                "constraint or generated column uses it; list them with "
                "zdt.recipes._dependents.list_column_dependents"
            ),
            sql=[check],
            verify=Verification(sql=check, description=f"nothing in the database uses {table}.{name}"),
            rollback=Rollback(not_needed="a read-only catalog check changes nothing"),
            lock=None,
            lock_duration=LockDuration.NONE,
            tables=[table],
            recipe=self.id,
        )
        drop = context.step(
            f"drop-{name}",
            phase=Phase.CONTRACT,
            description=f"drop {table}.{name} (AccessExclusiveLock, brief: a catalog change)",
            sql=[context.statement.sql],
            verify=Verification(sql=checks.column_absent(table, name), description=f"{table}.{name} is gone"),
            rollback=Rollback(irreversible=RESTORE_FROM_BACKUP),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )
        return [guard, drop]
