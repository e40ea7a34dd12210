"""multiple-locks-in-transaction: a second traffic-blocking lock while earlier ones are held until COMMIT."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext
from zdt.analysis.state import HeldLock


def _covers(held: LockMode, wanted: LockMode) -> bool:
    """Holding ``held`` already excludes every lock ``wanted`` would have to wait for."""
    return all(held.conflicts_with(other) for other in LockMode if wanted.conflicts_with(other))


class MultipleLocksInTransaction(Rule):
    """Locks taken in a transaction block are held until COMMIT, so lock-taking statements add up.

    Anti-pattern: ``BEGIN; ALTER TABLE users ...; ALTER TABLE posts ...; COMMIT;`` — users stays locked
    while the second ALTER waits for its lock on posts and while it runs, so a single long transaction on
    posts stalls the traffic of both tables (and two such migrations can deadlock). Best practice: one
    lock-taking statement per transaction, each under a short lock_timeout.
    """

    id = "multiple-locks-in-transaction"
    summary = "Take at most one traffic-blocking lock per transaction block."
    bad = """BEGIN;
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE posts ADD COLUMN summary text;
COMMIT;"""
    good = """SET lock_timeout = '200ms';
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE posts ADD COLUMN summary text;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        held = context.state.held_locks
        if not context.state.in_transaction or not held:
            return
        new = [
            (relation, mode)
            for relation, mode in context.traffic_blocking_locks()
            if not any(lock.relation == relation and _covers(lock.mode, mode) for lock in held)
        ]
        if not new:
            return
        relation, mode = new[0]
        earlier: dict[str, HeldLock] = {}
        for lock in held:
            earlier.setdefault(lock.relation, lock)
        listed = ", ".join(
            f"{lock.relation} ({lock.mode}, statement {lock.statement_index + 1})"
            for lock in earlier.values()
        )
        yield self.finding(
            Severity.WARNING,
            f"{mode} on {relation} is requested while this transaction already holds {listed}: those "
            f"locks stay held while this statement waits for {relation} and runs, until COMMIT, so the "
            "whole block's duration blocks their traffic",
            f"one lock-taking statement per transaction: COMMIT before the statement on {relation} (or "
            "move it to its own migration), each under SET lock_timeout",
        )
