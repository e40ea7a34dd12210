"""What the analyser knows at one point of a script: the server, its schema, and what came before."""

from __future__ import annotations

from dataclasses import dataclass, field

from zdt.analysis.locks import LockMode
from zdt.schema.snapshot import SchemaSnapshot, TableInfo


@dataclass
class HeldLock:
    """A lock taken earlier in the open transaction block: held until COMMIT."""

    statement_index: int
    relation: str
    mode: LockMode


@dataclass
class MigrationState:
    """Walk state: updated after every statement, read by effects and rules."""

    pg_version: int
    snapshot: SchemaSnapshot | None = None
    timezone: str | None = None
    in_transaction: bool = False
    lock_timeout_set: bool = False
    statement_timeout_set: bool = False
    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    column_types: dict[tuple[str, str], str] = field(default_factory=dict)
    index_tables: dict[str, str] = field(default_factory=dict)
    held_locks: list[HeldLock] = field(default_factory=list)

    def start_session(self) -> None:
        """A new script runs in a new session: no open transaction, no timeouts, default TimeZone."""
        self.in_transaction = False
        self.lock_timeout_set = False
        self.statement_timeout_set = False
        self.timezone = None
        self.held_locks.clear()

    def table(self, name: str) -> TableInfo | None:
        return self.snapshot.table(name) if self.snapshot else None

    def is_new(self, relation: str) -> bool:
        """Created by this script: no application traffic can be waiting on it yet."""
        return relation in self.created

    def column_type(self, table: str, column: str) -> str | None:
        """The column's current type: from this script if it defined it, else from the catalog."""
        if (table, column) in self.column_types:
            return self.column_types[(table, column)]
        info = self.table(table)
        if info and column in info.columns:
            return info.columns[column].type
        return None

    def index_table(self, index: str) -> str | None:
        if index in self.index_tables:
            return self.index_tables[index]
        return self.snapshot.index_tables.get(index) if self.snapshot else None

    @property
    def session_timezone(self) -> str | None:
        if self.timezone is not None:
            return self.timezone
        return self.snapshot.timezone if self.snapshot else None
