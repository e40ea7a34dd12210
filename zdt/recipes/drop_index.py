"""DROP INDEX -> DROP INDEX CONCURRENTLY, one index per step, outside a transaction, in the contract phase.

A plain DROP INDEX takes AccessExclusiveLock on the index's table: removing the index is instant, but the
request queues behind every open transaction on the table and every later query queues behind it.
CONCURRENTLY takes ShareUpdateExclusiveLock and waits for those transactions without blocking anyone;
it accepts a single index and no transaction block, hence one non-transactional step per index.

Contract, not expand: the running release may depend on the index, for speed (its queries turn into
sequential scans the moment it is gone) or, for a unique index, for correctness (duplicates become
possible). An index is dropped only once no running code needs it, like a column.

start:    DROP INDEX CONCURRENTLY [IF EXISTS] <index>
verify:   the index no longer exists
rollback: DROP INDEX CONCURRENTLY IF EXISTS (an INVALID leftover of a failed run), then
          CREATE INDEX CONCURRENTLY from the snapshot's pg_get_indexdef (an exact rebuild: same name,
          method, columns, predicate); without a snapshot the definition is unknown and the step is
          irreversible, saying why. Rebuilding a unique index fails if duplicates arrived meanwhile.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from zdt.analysis import names
from zdt.plan.model import Step
from zdt.recipes._index_drop import drop_index_step
from zdt.recipes._reprint import required_sql
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, with_changes
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import IndexInfo


class DropIndexConcurrently(Recipe):
    id = "drop-index-concurrently"
    summary = "Drop indexes with CONCURRENTLY, one per step, in the contract phase; rebuild on rollback."
    examples = (
        RecipeExample(
            title="an index the new release no longer needs",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                CREATE INDEX posts_title_idx ON posts (title);
                ANALYZE posts;
            """,
            sql="DROP INDEX posts_title_idx;",
            plan="""
                contract s01-drop-index
                    DROP INDEX CONCURRENTLY posts_title_idx
            """,
            old_queries=(
                "SELECT id FROM posts WHERE title = 'post 1'",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the new release')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if not isinstance(node, ast.DropStmt) or node.removeType != ObjectType.OBJECT_INDEX:
            return False
        # An index whose table is unknown (no snapshot) is assumed live: only a table created by this
        # same plan is known to have no traffic.
        tables = [_table_of(context, index) for index in _indexes(node)]
        return any(table is None or context.is_existing(table) for table in tables)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.DropStmt)
        if node.behavior == DropBehavior.DROP_CASCADE:
            raise PlanningError(
                f"line {context.statement.line}: DROP INDEX ... CASCADE cannot run CONCURRENTLY; drop what "
                "depends on the index in its own statement first"
            )
        indexes = _indexes(node)
        steps = []
        for number, (index, object_names) in enumerate(
            zip(indexes, node.objects or (), strict=True), start=1
        ):
            suffix = "drop-index" if len(indexes) == 1 else f"drop-index-{number}"
            steps.append(self._step(context, node, index, object_names, suffix))
        return steps

    def _step(
        self,
        context: PlanningContext,
        node: ast.DropStmt,
        index: str,
        object_names: tuple[ast.String, ...],
        suffix: str,
    ) -> Step:
        table = _table_of(context, index)
        known = _snapshot_index(context, table, index)
        if known is not None and known.primary:
            raise PlanningError(
                f"line {context.statement.line}: {index} backs the primary key of {table}: drop the "
                "constraint (ALTER TABLE ... DROP CONSTRAINT), not the index"
            )
        single = with_changes(node, objects=(object_names,), concurrent=True)
        return drop_index_step(
            context,
            suffix=suffix,
            index=index,
            table=table,
            drop_sql=required_sql(single, context.statement.line, f"DROP INDEX CONCURRENTLY {index}"),
            known=known,
            why="only once no running release needs it for speed or, if unique, for correctness",
            recipe=self.id,
        )


def _indexes(node: ast.DropStmt) -> list[str]:
    return [names.of_name_list(object_names) for object_names in node.objects or ()]


def _table_of(context: PlanningContext, index: str) -> str | None:
    return context.state.index_table(index)


def _snapshot_index(context: PlanningContext, table: str | None, index: str) -> IndexInfo | None:
    info = context.snapshot.table(table) if context.snapshot and table else None
    if info is None:
        return None
    return next((known for known in info.indexes if known.name == index), None)
