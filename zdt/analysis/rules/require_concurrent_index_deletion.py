"""require-concurrent-index-deletion: drop indexes of live tables with DROP INDEX CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class RequireConcurrentIndexDeletion(Rule):
    """A plain DROP INDEX takes AccessExclusiveLock on the index's table: every read and write waits.

    Anti-pattern: ``DROP INDEX posts_created_idx;`` on a busy table. Removing the index is instant, but the
    lock request queues behind any open transaction that touched posts, and every later query on posts
    queues behind the DROP. Best practice: ``DROP INDEX CONCURRENTLY``, one index per statement and outside
    a transaction block: it waits for those transactions without blocking anyone.
    """

    id = "require-concurrent-index-deletion"
    summary = "DROP INDEX on an existing table must use CONCURRENTLY."
    bad = "DROP INDEX posts_created_idx;"
    good = "DROP INDEX CONCURRENTLY posts_created_idx;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.DropStmt) or node.removeType != ObjectType.OBJECT_INDEX:
            return
        if node.concurrent or not context.target_exists:
            return
        effect = context.effect
        indexes = sorted(effect.dropped)
        tables = [
            relation
            for relation in effect.locks
            if relation not in effect.dropped and context.is_existing(relation)
        ]
        on = ", ".join(tables) if tables else "its table (unknown without a database connection)"
        yield self.finding(
            Severity.WARNING,
            f"DROP INDEX {', '.join(indexes)} takes AccessExclusiveLock on {on}: reads and writes of "
            f"{tables[0] if tables else 'the table'} wait for it, and it waits for every open transaction "
            "on the table",
            " ".join(f"DROP INDEX CONCURRENTLY {index};" for index in indexes)
            + " (one index per statement, outside a transaction block, no CASCADE)",
        )
