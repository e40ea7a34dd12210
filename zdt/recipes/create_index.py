"""CREATE INDEX -> CREATE INDEX CONCURRENTLY, outside a transaction, cleaning up after a failed build.

start:    CREATE [UNIQUE] INDEX CONCURRENTLY (ShareUpdateExclusiveLock: reads and writes go on)
verify:   the index exists and pg_index.indisvalid is true
failure:  a failed concurrent build leaves an INVALID index behind: DROP INDEX CONCURRENTLY IF EXISTS
rollback: DROP INDEX CONCURRENTLY IF EXISTS
"""

from __future__ import annotations

from pglast import ast

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.plan.model import Phase, Step
from zdt.recipes._index_build import concurrent_index_step
from zdt.recipes._reprint import required_sql
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, relation_name, with_changes
from zdt.recipes.errors import PlanningError


class CreateIndexConcurrently(Recipe):
    id = "create-index-concurrently"
    summary = "Build indexes with CONCURRENTLY so writes never wait; drop the INVALID leftover on failure."
    examples = (
        RecipeExample(
            title="an index on a live table",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, title text NOT NULL);
                INSERT INTO posts SELECT g, 1 + g % 100, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="CREATE INDEX posts_author_id_idx ON posts (author_id);",
            plan="""
                expand   s01-create-index
                    CREATE INDEX CONCURRENTLY posts_author_id_idx ON posts (author_id)
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, author_id, title) VALUES (12001, 1, 'written by the old release')",
            ),
            new_queries=(
                "SELECT id, title FROM posts WHERE author_id = 1 ORDER BY id LIMIT 10",
                "INSERT INTO posts (id, author_id, title) VALUES (12001, 1, 'written by the new release')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.IndexStmt) and context.is_existing(_table(node))

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.IndexStmt)
        table = _table(node)
        if not node.idxname:
            raise PlanningError(
                f"line {context.statement.line}: give the index on {table} a name, so that it can be "
                "verified and rolled back"
            )
        index = names.qualified(required(node.relation, "IndexStmt.relation").schemaname, node.idxname)
        concurrent = with_changes(node, concurrent=True)
        return [
            concurrent_index_step(
                context,
                suffix="create-index",
                phase=Phase.EXPAND,
                index=index,
                table=table,
                create_sql=required_sql(concurrent, context.statement.line, f"the index {index}"),
                description=f"build index {index} on {table} concurrently",
                recipe=self.id,
            )
        ]


def _table(node: ast.IndexStmt) -> str:
    return relation_name(node)
