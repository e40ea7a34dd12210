"""ban-cluster: CLUSTER rewrites a table in index order under AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class BanCluster(Rule):
    """CLUSTER copies the whole table in index order and rebuilds its indexes under AccessExclusiveLock.

    Anti-pattern: ``CLUSTER posts USING posts_created_idx;`` — no query, not even a SELECT, can touch
    posts until the copy is done, and the order is not maintained afterwards, so it gets repeated. Best
    practice: leave the table online — reorder it with a pg_repack-style online rebuild (``--order-by``),
    or let an index that matches the query do the ordering.
    """

    id = "ban-cluster"
    summary = "Do not CLUSTER a table the application uses."
    bad = "CLUSTER posts USING posts_created_idx;"
    good = """-- Reorder online (pg_repack --order-by=created_at), or serve the ordered reads from an index:
CREATE INDEX CONCURRENTLY posts_author_created_idx ON posts (author_id, created_at);"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.ClusterStmt):
            return
        if node.relation is not None:
            if not context.target_exists:
                return
            subject = context.target
            severity = context.scaled(Severity.ERROR)
        else:
            subject = "every previously clustered table of the database, one after another"
            severity = Severity.ERROR
        yield self.finding(
            severity,
            f"CLUSTER rewrites {subject} under AccessExclusiveLock: every query on it, reads included, "
            f"waits until the copy and its index rebuilds finish{context.size_note()}",
            "reorder online with a pg_repack-style rebuild (--order-by), or rely on an index matching the "
            "queries' ORDER BY; plain VACUUM if the goal was reclaiming space",
        )
