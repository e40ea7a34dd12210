"""statement-after-access-exclusive: slow work while an AccessExclusiveLock is held until COMMIT."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class StatementAfterAccessExclusive(Rule):
    """A scan or rewrite after an AccessExclusiveLock in the same transaction block runs with that lock held.

    Anti-pattern: ``BEGIN; ALTER TABLE posts ADD COLUMN summary text; CREATE INDEX ... ON posts ...;
    COMMIT;`` — the ALTER's AccessExclusiveLock (which blocks even SELECT) is kept until COMMIT, so the
    index build, harmless to readers on its own, now blocks every query on posts for its whole duration.
    Best practice: COMMIT right after the statement that takes AccessExclusiveLock, and run the slow
    statement in its own transaction (CONCURRENTLY where it exists).
    """

    id = "statement-after-access-exclusive"
    summary = "Do not scan or rewrite a table while an AccessExclusiveLock from the same transaction is held."
    bad = """BEGIN;
ALTER TABLE posts ADD COLUMN summary text;
CREATE INDEX posts_author_idx ON posts (author_id);
COMMIT;"""
    good = """ALTER TABLE posts ADD COLUMN summary text;
CREATE INDEX CONCURRENTLY posts_author_idx ON posts (author_id);"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        effect = context.effect
        if not context.state.in_transaction or not (effect.scans_table or effect.rewrites_table):
            return
        if effect.target is not None and not context.target_exists:
            return
        exclusive: dict[str, int] = {}
        for lock in context.state.held_locks:
            if lock.mode is not LockMode.ACCESS_EXCLUSIVE or not context.is_existing(lock.relation):
                continue
            if effect.locks.get(lock.relation) is LockMode.ACCESS_EXCLUSIVE:
                continue  # the statement locks that table exclusively itself: no added cost
            exclusive.setdefault(lock.relation, lock.statement_index)
        if not exclusive:
            return
        held = ", ".join(f"{relation} (statement {index + 1})" for relation, index in exclusive.items())
        work = "rewrites" if effect.rewrites_table else "scans"
        yield self.finding(
            context.scaled(Severity.ERROR),
            f"this {context.statement.kind} {work} {effect.target or 'tables'} while the transaction holds "
            f"AccessExclusiveLock on {held}: every query on those tables, reads included, waits until "
            f"COMMIT, for as long as this statement runs{context.size_note()}",
            "COMMIT right after the statement taking AccessExclusiveLock and run this one in its own "
            "transaction (or CONCURRENTLY, outside any transaction, where that exists)",
        )
