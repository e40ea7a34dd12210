"""The shape every rule shares: an id, a one-line summary, a bad and a good example, and ``check``.

A rule looks at one statement in its context (the effect computed for it, what the script did before,
the schema snapshot and the table's size) and returns findings. Each rule lives in its own module in
this package, with its tests in ``tests/analysis/rules/test_<module>.py``; the examples are run on a real
server by the test suite, so the documentation cannot drift from behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from pglast import ast

from zdt.analysis.effects.base import Effect
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity, TableSize
from zdt.analysis.source import ParsedStatement
from zdt.analysis.state import MigrationState, SmallTable

# Below these sizes (the defaults; a run's own are state.small_table) an "error" becomes a "warning".
SMALL_TABLE_ROWS = SmallTable().rows
SMALL_TABLE_BYTES = SmallTable().bytes


@dataclass(frozen=True)
class RuleContext:
    """One statement as a rule sees it."""

    statement: ParsedStatement
    effect: Effect
    state: MigrationState
    size: TableSize | None
    is_last: bool = False  # the script's final statement: end-of-script rules look here

    @property
    def node(self) -> ast.Node:
        return self.statement.node

    @property
    def pg_version(self) -> int:
        return self.state.pg_version

    @property
    def target(self) -> str | None:
        return self.effect.target

    def is_existing(self, relation: str | None) -> bool:
        """True for a relation the script did not create itself: live traffic may be using it."""
        return relation is not None and not self.state.is_new(relation)

    @property
    def target_exists(self) -> bool:
        return self.is_existing(self.effect.target)

    def traffic_blocking_locks(self) -> list[tuple[str, LockMode]]:
        """Locks on existing relations that make application reads or writes wait."""
        return [
            (relation, mode)
            for relation, mode in self.effect.locks.items()
            if self.is_existing(relation) and mode.blocks_writes
        ]

    def scaled(self, severity: Severity) -> Severity:
        """Lower the severity when the catalog says the table is small enough for the lock to be cheap."""
        if self.size is None or severity is not Severity.ERROR:
            return severity
        small = self.state.small_table
        if self.size.rows == 0 and self.size.bytes <= small.bytes:
            return Severity.INFO
        if self.size.rows < small.rows and self.size.bytes < small.bytes:
            return Severity.WARNING
        return severity

    def size_note(self) -> str:
        if self.size is None:
            return ""
        return f" ({self.size.table}: ~{self.size.rows:,} rows, {_human_bytes(self.size.bytes)})"


def _human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement :meth:`check`."""

    id: ClassVar[str]
    summary: ClassVar[str]
    bad: ClassVar[str] = ""
    good: ClassVar[str] = ""
    # The psycopg error class name the bad example raises on a real server, when failing is its point.
    bad_fails_with: ClassVar[str | None] = None

    def check(self, context: RuleContext) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, severity: Severity, message: str, fix: str) -> Finding:
        return Finding(rule=self.id, severity=severity, message=message, fix=fix)
