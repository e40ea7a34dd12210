"""ALTER TABLE ... DROP COLUMN -> contract phase only: the indexes and constraints that would go silently
with the column dropped in steps of their own, a guard step proving nothing in the database uses the
column any more, then the drop, explicitly irreversible.

The running release must no longer read or write the column (ORMs that list every mapped column fail on
every query of the table otherwise) — the catalog cannot prove that, so the guard's description says so
and the drop waits for the contract phase. PostgreSQL drops silently with the column every index using
it (key, INCLUDE, expression or predicate), every foreign key of the table on it and every CHECK spanning
it and other columns (``zdt.analysis.column_dependents``): worse than a failed DROP, so with a schema
snapshot each of them becomes a step before the guard, dropped deliberately and rebuilt on rollback.
What zdt will not drop silently (a PRIMARY KEY, UNIQUE or EXCLUDE constraint the column belongs to) and
what PostgreSQL refuses to (other tables' foreign keys referencing it, views reading it, triggers using
it, generated columns computed from it) is refused at planning time, naming the statement to write
first; so is CASCADE, which would drop all of those unseen.

index:      DROP INDEX CONCURRENTLY, one per step (``_index_drop``: ShareUpdateExclusiveLock, outside a
            transaction); rollback: rebuilt CONCURRENTLY from the snapshot's pg_get_indexdef.
constraint: ALTER TABLE ... DROP CONSTRAINT (brief AccessExclusiveLock; a foreign key's referenced table
            too); rollback: re-added NOT VALID from the snapshot's definition, then VALIDATE
            (``_constraint_rebuild``).
guard:      read-only catalog query; verify: nothing uses the column (``dependents``: index, view, rule,
            foreign key, statistics object, trigger, multi-column constraint, generated column). It stays
            with a snapshot too: the catalog can change between planning and apply. Without a snapshot
            it alone decides, when the step runs. rollback: not needed.
drop:       the statement as written (AccessExclusiveLock, brief: a catalog change, the data stays on
            disk until rewritten). verify: the column is gone.
            rollback: irreversible — the values cannot be read back; rollback means restore from backup.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import DropBehavior

from zdt.analysis import column_dependents
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.parse_tree import parse_expression, referenced_columns
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes import _dependents as dependents
from zdt.recipes._constraint_rebuild import foreign_keys_to, re_add_constraint, re_add_note
from zdt.recipes._constraint_rebuild import referenced_columns as fk_referenced_columns
from zdt.recipes._index_drop import drop_index_step
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    relation_name,
    render,
    single_alter_command,
    split_name,
)
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import CheckInfo, ForeignKeyInfo, TableInfo

RESTORE_FROM_BACKUP = "a dropped column's values cannot be read back: rollback means restore from backup"


class DropColumnInContract(Recipe):
    id = "drop-column"
    summary = (
        "Drop columns in the contract phase: their indexes and constraints first, one step each, then a "
        "check that nothing uses them."
    )
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
        RecipeExample(
            title="a column an index and a foreign key use",
            schema="""
                CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 100) g;
                CREATE TABLE posts (
                    id bigint PRIMARY KEY, title text NOT NULL, author_id bigint REFERENCES authors (id)
                );
                INSERT INTO posts SELECT g, 'post ' || g, 1 + g % 100 FROM generate_series(1, 12000) g;
                CREATE INDEX posts_author_id_idx ON posts (author_id);
                ANALYZE authors, posts;
            """,
            sql="ALTER TABLE posts DROP COLUMN author_id;",
            plan="""
                contract s01-drop-index-posts_author_id_idx
                    DROP INDEX CONCURRENTLY "public"."posts_author_id_idx"
                contract s01-drop-constraint-posts_author_id_fkey
                    ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_id_fkey"
                contract s01-check-author_id-unused
                    check: nothing in the database uses public.posts.author_id
                contract s01-drop-author_id (irreversible)
                    ALTER TABLE posts DROP COLUMN author_id
            """,
            old_queries=(
                "SELECT p.id, a.name FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.author_id = 1",
                "INSERT INTO posts (id, title, author_id) VALUES (12001, 'written by the old release', 1)",
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
        command = required(node.cmds, "AlterTableStmt.cmds")[0]
        name = required(command.name, "DROP COLUMN's AlterTableCmd.name")
        line = context.statement.line
        if command.behavior == DropBehavior.DROP_CASCADE:
            raise PlanningError(
                f"line {line}: DROP COLUMN {name} ... CASCADE also drops, unseen, whatever uses "
                f"{table}.{name} (views, other tables' foreign keys, triggers, generated columns): drop "
                "or change each of those in its own statement first, then the column without CASCADE (zdt "
                "plans the drop of its indexes and of its table's constraints on it itself)"
            )
        info = context.table(table)
        if context.snapshot is None or info is None:
            steps = []
            known = (
                "; without a schema snapshot zdt cannot see them at planning time, so this check alone "
                "decides, when the step runs (plan with --database-url to have the indexes and constraints "
                "that would go with the column dropped in steps of their own)"
            )
        else:
            _refuse_what_blocks_the_drop(context, info, name)
            steps = self._dependent_steps(context, info, name)
            known = (
                "; what the schema snapshot showed goes in the steps before this one, and this check "
                "catches what changed since planning"
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
                f"zdt.recipes._dependents.list_column_dependents{known}"
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
        return [*steps, guard, drop]

    def _dependent_steps(self, context: PlanningContext, info: TableInfo, name: str) -> list[Step]:
        """A step for each index and constraint PostgreSQL would drop silently with the column."""
        table = info.name
        steps = []
        for index in column_dependents.indexes_using(info, name):
            relname = split_name(index.name)[1]
            if context.dropped_earlier(index.name) or (
                index.constraint and context.constraint_change(table, relname) is False
            ):
                continue  # gone already, with the constraint an earlier statement dropped
            steps.append(
                drop_index_step(
                    context,
                    suffix=f"drop-index-{relname}",
                    index=index.name,
                    table=table,
                    drop_sql=render("DROP INDEX CONCURRENTLY {i}", i=ident(index.name)),
                    known=index,
                    why=(
                        f"it uses {table}.{name} and would otherwise go silently with it; only once no "
                        "running release needs it"
                    ),
                    recipe=self.id,
                )
            )
        constraints: list[CheckInfo | ForeignKeyInfo] = [
            *column_dependents.foreign_keys_using(info, name),
            *column_dependents.checks_using(info, name, spanning=True),
        ]
        for constraint in constraints:
            if context.constraint_change(table, constraint.name) is False:  # dropped earlier in the file
                continue
            steps.append(self._drop_constraint_step(context, table, name, constraint))
        return steps

    def _drop_constraint_step(
        self, context: PlanningContext, table: str, name: str, constraint: CheckInfo | ForeignKeyInfo
    ) -> Step:
        tables = [table]
        if isinstance(constraint, ForeignKeyInfo):
            kind = "FOREIGN KEY"
            if constraint.referenced_table != table:
                tables.append(constraint.referenced_table)
        else:
            kind = "CHECK"
        t, n = ident(table), column(constraint.name)
        return context.step(
            f"drop-constraint-{constraint.name}",
            phase=Phase.CONTRACT,
            description=(
                f"drop {kind} constraint {constraint.name} of {table}: it uses {table}.{name} and would "
                "otherwise go silently with it; a catalog change under a brief AccessExclusiveLock on "
                f"{' and '.join(tables)}; {re_add_note(constraint)}"
            ),
            sql=[render("ALTER TABLE {t} DROP CONSTRAINT {n}", t=t, n=n)],
            verify=Verification(
                sql=checks.constraint_absent(table, constraint.name),
                description=f"{constraint.name} is gone from {table}",
            ),
            rollback=re_add_constraint(context.statement.line, table, constraint.name, constraint),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=tables,
            recipe=self.id,
        )


def _refuse_what_blocks_the_drop(context: PlanningContext, info: TableInfo, name: str) -> None:
    """What zdt will not drop with the column (a key) or PostgreSQL refuses to (views, other tables'
    foreign keys, triggers, generated columns): one PlanningError naming them all and what to write first."""
    snapshot = context.snapshot
    assert snapshot is not None
    table = info.name
    found: list[str] = []
    for index in column_dependents.indexes_using(info, name):
        if not index.constraint or context.dropped_earlier(index.name):
            continue
        constraint = split_name(index.name)[1]
        if context.constraint_change(table, constraint) is False:
            continue
        kind = _KEY_KINDS.get(index.constraint, "a constraint")
        found.append(
            f"{kind} {constraint} includes it, and zdt will not drop a key silently (what it keeps unique "
            f"across the other columns would be lost, unseen): write ALTER TABLE {table} DROP CONSTRAINT "
            f"{constraint} first (after adding whatever key replaces it)"
        )
    for referencing, foreign_key in foreign_keys_to(snapshot, table):
        if name in fk_referenced_columns(snapshot, table, foreign_key):
            if context.constraint_change(referencing, foreign_key.name) is False:
                continue
            found.append(
                f"foreign key {foreign_key.name} of {referencing} references it (PostgreSQL refuses the "
                f"drop without CASCADE): write ALTER TABLE {referencing} DROP CONSTRAINT "
                f"{foreign_key.name} first"
            )
    for view in info.dependent_views:
        if context.dropped_earlier(view) or name not in info.view_columns.get(view, [name]):
            continue
        found.append(
            f"view {view} reads it (PostgreSQL refuses the drop without CASCADE): write DROP VIEW {view} "
            "first, then CREATE VIEW again without the column after the drop if it is still needed"
        )
    for trigger, columns in sorted(info.trigger_columns.items()):
        if name in columns:
            found.append(
                f"trigger {trigger} uses it in UPDATE OF or WHEN (PostgreSQL refuses the drop without "
                f"CASCADE): write DROP TRIGGER {trigger} ON {table} first, and CREATE TRIGGER again "
                "without the column if it is still needed"
            )
    for other in info.columns.values():
        uses = other.generated and other.name != name and other.default
        if uses and name in referenced_columns(parse_expression(other.default or "NULL")):
            found.append(
                f"generated column {other.name} is computed from it (PostgreSQL refuses the drop "
                f"without CASCADE): write ALTER TABLE {table} DROP COLUMN {other.name} first, or give "
                "it an expression without the column"
            )
    if found:
        raise PlanningError(f"line {context.statement.line}: cannot drop {table}.{name}: " + "; ".join(found))


_KEY_KINDS = {"p": "the PRIMARY KEY", "u": "the UNIQUE constraint", "x": "the EXCLUDE constraint"}
