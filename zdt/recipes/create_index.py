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
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import checks
from zdt.recipes.base import PlanningContext, Recipe, ident, relation_name, render, with_changes
from zdt.recipes.reprint import required_sql


class CreateIndexConcurrently(Recipe):
    id = "create-index-concurrently"
    summary = "Build indexes with CONCURRENTLY so writes never wait; drop the INVALID leftover on failure."

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.IndexStmt) and context.is_existing(_table(node))

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.IndexStmt)
        table = _table(node)
        if not node.idxname:
            raise ValueError(
                f"line {context.statement.line}: give the index on {table} a name, so that it can be "
                "verified and rolled back"
            )
        index = names.qualified(required(node.relation, "IndexStmt.relation").schemaname, node.idxname)
        concurrent = with_changes(node, concurrent=True)
        drop = render("DROP INDEX CONCURRENTLY IF EXISTS {index}", index=ident(index))
        return [
            context.step(
                "create-index",
                phase=Phase.EXPAND,
                description=f"build index {index} on {table} concurrently",
                sql=[required_sql(concurrent, context.statement.line, f"the index {index}")],
                transactional=False,
                verify=Verification(sql=checks.index_valid(index), expect=True, description="index is valid"),
                rollback=Rollback(sql=[drop], transactional=False),
                on_failure_sql=[drop],
                lock=LockMode.SHARE_UPDATE_EXCLUSIVE,
                lock_duration=LockDuration.NONE,
                tables=[table],
                recipe=self.id,
            )
        ]


def _table(node: ast.IndexStmt) -> str:
    return relation_name(node)
