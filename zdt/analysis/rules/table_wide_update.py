"""table-wide-update: UPDATE or DELETE without WHERE locks every row of a live table until commit."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class TableWideUpdate(Rule):
    """An UPDATE or DELETE without WHERE locks every row it touches until the transaction commits.

    Anti-pattern: ``UPDATE posts SET status = 'published';`` as a backfill — every concurrent UPDATE or
    DELETE of any row of posts waits until the statement commits, and every touched row leaves a dead
    version behind: the table and its indexes bloat until vacuum catches up. Best practice: batches by
    primary-key range (e.g. 10,000 rows), each in its own short transaction, with a pause between them.
    """

    id = "table-wide-update"
    summary = "UPDATE or DELETE every row of an existing table only in batches."
    bad = "UPDATE posts SET status = 'published';"
    good = "UPDATE posts SET status = 'published' WHERE id >= 1 AND id < 10001;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.UpdateStmt | ast.DeleteStmt):
            return
        if not context.effect.locks_every_row or not context.target_exists:
            return
        table = context.target
        verb = "UPDATE" if isinstance(node, ast.UpdateStmt) else "DELETE"
        yield self.finding(
            context.scaled(Severity.ERROR),
            f"{verb} without WHERE touches every row of {table}: each row stays locked until COMMIT, so "
            f"concurrent updates and deletes of {table} wait for the whole statement, and every touched "
            f"row leaves a dead version behind, bloating {table} and its indexes{context.size_note()}",
            f"{verb} in batches by primary-key range (e.g. WHERE id >= n AND id < n + 10000), each batch "
            "in its own short transaction with a pause between batches, then VACUUM (ANALYZE)",
        )
