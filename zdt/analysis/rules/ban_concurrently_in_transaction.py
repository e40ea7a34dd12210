"""ban-concurrently-in-transaction: CONCURRENTLY cannot run inside a transaction block."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class BanConcurrentlyInTransaction(Rule):
    """CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and VACUUM refuse to run in a transaction.

    Anti-pattern: ``BEGIN; CREATE INDEX CONCURRENTLY ...; COMMIT;`` fails with "cannot run inside a
    transaction block" — and migration tools that wrap every file in a transaction do exactly that.
    Best practice: run such statements on their own, in autocommit.
    """

    id = "ban-concurrently-in-transaction"
    summary = "Statements that cannot run in a transaction block must not be inside BEGIN ... COMMIT."
    bad = "BEGIN;\nCREATE INDEX CONCURRENTLY posts_title_idx ON posts (title);\nCOMMIT;"
    good = "CREATE INDEX CONCURRENTLY posts_title_idx ON posts (title);"
    bad_fails_with = "ActiveSqlTransaction"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.state.in_transaction or context.effect.transactional:
            return
        yield self.finding(
            Severity.ERROR,
            f"{context.statement.kind} on {context.target or 'this object'} cannot run inside a "
            "transaction block: PostgreSQL will reject it",
            "move the statement out of BEGIN ... COMMIT and run it in autocommit mode",
        )
