"""transaction-nesting: BEGIN inside an open block, or COMMIT/ROLLBACK/SAVEPOINT outside one."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import TransactionStmtKind as Kind

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_BEGIN = {Kind.TRANS_STMT_BEGIN, Kind.TRANS_STMT_START}
_END = {Kind.TRANS_STMT_COMMIT, Kind.TRANS_STMT_ROLLBACK, Kind.TRANS_STMT_PREPARE}
_SAVEPOINTS = {
    Kind.TRANS_STMT_SAVEPOINT: "SAVEPOINT",
    Kind.TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
    Kind.TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
}


class TransactionNesting(Rule):
    """PostgreSQL has no nested transactions: a second BEGIN is ignored and the first COMMIT ends both.

    Anti-pattern: ``BEGIN; ... BEGIN; ... COMMIT; ... COMMIT;`` — the inner BEGIN only warns, its COMMIT
    commits everything so far, and the statements after it run in autocommit, one by one, though the
    author meant them to be atomic; a COMMIT with no open block (often in a file a migration tool already
    wraps in a transaction) ends that tool's transaction early. Best practice: one BEGIN ... COMMIT pair
    per block, SAVEPOINT for partial rollback, and no transaction control in files the tool wraps.
    """

    id = "transaction-nesting"
    summary = "Do not open a transaction block inside another, nor end one that is not open."
    bad = """BEGIN;
ALTER TABLE posts ADD COLUMN summary text;
BEGIN;
ALTER TABLE users ADD COLUMN bio text;
COMMIT;
COMMIT;"""
    good = """BEGIN;
ALTER TABLE posts ADD COLUMN summary text;
COMMIT;
BEGIN;
ALTER TABLE users ADD COLUMN bio text;
COMMIT;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        # The analyser applies BEGIN/COMMIT to the state after the rules ran: this is the state before.
        node = context.node
        if not isinstance(node, ast.TransactionStmt):
            return
        open_block = context.state.in_transaction
        if node.kind in _BEGIN and open_block:
            yield self.finding(
                Severity.WARNING,
                "BEGIN inside an open transaction block is ignored (PostgreSQL only warns): the next "
                "COMMIT or ROLLBACK ends the outer block too, and the statements after it run in "
                "autocommit",
                "remove the inner BEGIN (and its COMMIT), or use SAVEPOINT name / RELEASE SAVEPOINT name "
                "for a part that must be able to roll back on its own",
            )
        elif node.kind in _END and not open_block:
            word = "AND CHAIN" if node.chain else ""
            name = {Kind.TRANS_STMT_COMMIT: "COMMIT", Kind.TRANS_STMT_ROLLBACK: "ROLLBACK"}.get(
                node.kind, "PREPARE TRANSACTION"
            )
            if node.chain:
                yield self.finding(
                    Severity.ERROR,
                    f"{name} {word} with no open transaction block fails: it can only be used in one",
                    f"open the block with BEGIN first, or drop the {name} {word}",
                )
                return
            yield self.finding(
                Severity.WARNING,
                f"{name} with no open transaction block does nothing here (PostgreSQL warns 'there is no "
                "transaction in progress'); if a migration tool wraps this file in a transaction, it ends "
                "that transaction early and the rest of the file runs outside it",
                f"remove the {name}, or add the BEGIN it was meant to close",
            )
        elif node.kind in _SAVEPOINTS and not open_block:
            name = _SAVEPOINTS[node.kind]
            yield self.finding(
                Severity.ERROR,
                f"{name} {node.savepoint_name} outside a transaction block fails: savepoints only exist "
                "inside BEGIN ... COMMIT",
                f"open a transaction block with BEGIN before the {name}, or remove it",
            )
