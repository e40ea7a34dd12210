"""validate-in-same-transaction: VALIDATE CONSTRAINT must not share a transaction with the ALTER before it."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import AlterTableType

from zdt.analysis.fields import required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext
from zdt.analysis.state import HeldLock


class ValidateInSameTransaction(Rule):
    """VALIDATE CONSTRAINT only helps in its own transaction: locks taken before it are held during its scan.

    Anti-pattern: ``BEGIN; ALTER TABLE posts ADD CONSTRAINT c CHECK (...) NOT VALID; ALTER TABLE posts
    VALIDATE CONSTRAINT c; COMMIT;`` — the ADD took AccessExclusiveLock and keeps it until COMMIT, so the
    validation scan runs with posts locked against reads and writes, exactly what NOT VALID was meant to
    avoid. Best practice: commit after ``ADD ... NOT VALID`` and run ``VALIDATE CONSTRAINT`` in a separate
    transaction, where it takes only ShareUpdateExclusiveLock.
    """

    id = "validate-in-same-transaction"
    summary = "Run VALIDATE CONSTRAINT in its own transaction, not after ADD ... NOT VALID in the same one."
    bad = (
        "BEGIN;\n"
        "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status <> '') NOT VALID;\n"
        "ALTER TABLE posts VALIDATE CONSTRAINT posts_status_check;\n"
        "COMMIT;"
    )
    good = (
        "BEGIN;\n"
        "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status <> '') NOT VALID;\n"
        "COMMIT;\n"
        "ALTER TABLE posts VALIDATE CONSTRAINT posts_status_check;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.state.in_transaction:
            return
        commands = common.alter_commands(context, AlterTableType.AT_ValidateConstraint)
        if not commands:
            return
        held = _strongest_held(context)
        if held is None:
            return
        table = context.target
        for command in commands:
            constraint = required(command.name, "VALIDATE CONSTRAINT's AlterTableCmd.name")
            message = (
                f"VALIDATE CONSTRAINT {common.quote(constraint)} on {table} runs in the transaction that "
                f"took {held.mode} on {held.relation} at statement {held.statement_index + 1}: that lock is "
                f"held until COMMIT, so the validation scan blocks writes to {held.relation} (and reads, for "
                f"AccessExclusiveLock) for its whole length{context.size_note()}"
            )
            fix = (
                f"COMMIT after the ALTER TABLE at statement {held.statement_index + 1} (e.g. ADD CONSTRAINT "
                f"... NOT VALID), then run ALTER TABLE {table} VALIDATE CONSTRAINT "
                f"{common.quote(constraint)}; in a transaction of its own: it takes only "
                "ShareUpdateExclusiveLock, so reads and writes continue during the scan"
            )
            yield self.finding(context.scaled(Severity.ERROR), message, fix)


def _strongest_held(context: RuleContext) -> HeldLock | None:
    """The strongest write-blocking lock the open transaction holds on a relation this statement uses."""
    relations = set(context.effect.locks)
    held = [
        lock
        for lock in context.state.held_locks
        if lock.relation in relations and context.is_existing(lock.relation) and lock.mode.blocks_writes
    ]
    return max(held, key=lambda lock: lock.mode.strength) if held else None
