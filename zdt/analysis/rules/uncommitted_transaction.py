"""uncommitted-transaction: a script must not end with its transaction block still open."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import TransactionStmtKind

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_CLOSING = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


class UncommittedTransaction(Rule):
    """A BEGIN without COMMIT leaves every lock the script took held until the session ends.

    Anti-pattern: ``BEGIN; ALTER TABLE posts ADD COLUMN flag boolean;`` as the whole file: depending on
    the tool, the work is rolled back or the AccessExclusiveLock stays held while the tool idles.
    Best practice: end every transaction block the script opens with COMMIT.
    """

    id = "uncommitted-transaction"
    summary = "Close every transaction block the script opens."
    bad = "BEGIN;\nALTER TABLE posts ADD COLUMN flag boolean;"
    good = "BEGIN;\nALTER TABLE posts ADD COLUMN flag boolean;\nCOMMIT;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.is_last:
            return
        node = context.node
        closes = isinstance(node, ast.TransactionStmt) and node.kind in _CLOSING and not node.chain
        opens = isinstance(node, ast.TransactionStmt) and not closes
        if (context.state.in_transaction and not closes) or (opens and not context.state.in_transaction):
            yield self.finding(
                Severity.WARNING,
                "the script ends inside a transaction block: the locks it took stay held until the "
                "session commits or disconnects",
                "end the script with COMMIT",
            )
