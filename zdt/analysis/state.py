"""What the analyser knows at one point of a script: the server, its schema, and what came before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdt.analysis.locks import LockMode
from zdt.schema.snapshot import SchemaSnapshot, TableInfo

if TYPE_CHECKING:
    from zdt.analysis.effects.base import Effect


@dataclass
class HeldLock:
    """A lock taken earlier in the open transaction block: held until COMMIT."""

    statement_index: int
    relation: str
    mode: LockMode


@dataclass(frozen=True)
class SmallTable:
    """Below both sizes a lock costs milliseconds: rules lower an "error" on such a table to a "warning"."""

    rows: int = 10_000
    bytes: int = 16 * 1024 * 1024


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
    created_earlier: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    column_types: dict[tuple[str, str], str] = field(default_factory=dict)
    column_defaults: dict[tuple[str, str], str | None] = field(default_factory=dict)
    created_enums: set[str] = field(default_factory=set)
    index_tables: dict[str, str] = field(default_factory=dict)
    index_columns: dict[str, list[str]] = field(default_factory=dict)
    not_null_checks: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    held_locks: list[HeldLock] = field(default_factory=list)
    small_table: SmallTable = field(default_factory=SmallTable)
    # Named constraints this script added (True) or dropped (False), in order: (table, name, exists after).
    # The snapshot still lists a constraint dropped earlier in the script, and not one it added.
    constraint_changes: list[tuple[str, str, bool]] = field(default_factory=list)

    def start_session(self) -> None:
        """A new script runs in a new session: no open transaction, no timeouts, default TimeZone."""
        self.in_transaction = False
        self.lock_timeout_set = False
        self.statement_timeout_set = False
        self.timezone = None
        self.held_locks.clear()

    def forget_new_relations(self) -> None:
        """The next script is another migration: what earlier ones created exists now and may hold data.

        A migrations folder was applied file by file, often months apart; a table an earlier file
        created has had traffic since. Only the file (or plan) that creates a relation may treat it as
        new; the names stay known, so ``CREATE TABLE IF NOT EXISTS`` of one of them is seen as a no-op.
        """
        self.created_earlier |= self.created
        self.created.clear()

    def relation_exists(self, relation: str) -> bool:
        """Known to exist at this point: in the catalog and not dropped since, or created before."""
        if relation in self.created or relation in self.created_earlier:
            return True
        return self.table(relation) is not None and relation not in self.dropped

    def table(self, name: str) -> TableInfo | None:
        return self.snapshot.table(name) if self.snapshot else None

    def is_new(self, relation: str) -> bool:
        """Created by this script (or plan): no application traffic can be waiting on it yet."""
        return relation in self.created

    def column_type(self, table: str, column: str) -> str | None:
        """The column's current type: from this script if it defined it, else from the catalog."""
        if (table, column) in self.column_types:
            return self.column_types[(table, column)]
        info = self.table(table)
        if info and column in info.columns:
            return info.columns[column].type
        return None

    def column_default(self, table: str, column: str) -> str | None:
        """The column's default expression now: as this script last set (or dropped) it, else the
        catalog's. A recipe that copies a column's default must not bring back one the script dropped."""
        if (table, column) in self.column_defaults:
            return self.column_defaults[(table, column)]
        info = self.table(table)
        return info.columns[column].default if info and column in info.columns else None

    def is_enum(self, type_name: str) -> bool:
        """Whether ``type_name`` ('public.e') is an enum: in the catalog, or created by this script."""
        in_catalog = self.snapshot is not None and type_name in self.snapshot.enums
        return in_catalog or type_name in self.created_enums

    def has_valid_not_null_check(self, table: str, column: str) -> bool:
        """A validated CHECK (column IS NOT NULL), from this script or the catalog."""
        if any(t == table and c == column and valid for (t, _), (c, valid) in self.not_null_checks.items()):
            return True
        info = self.table(table)
        return info is not None and any(c.validated and c.not_null_column == column for c in info.checks)

    def constraint_change(self, table: str, name: str, *, within: int | None = None) -> bool | None:
        """Whether this script left constraint ``name`` of ``table`` in place (True: added last) or gone
        (False: dropped last); None when it has not touched it, so the snapshot still tells.

        ``within`` counts only the script's first ``within`` constraint changes: a recipe asks about the
        schema before its own statement (``PlanningContext.constraint_change``), which the state has
        already moved past.
        """
        changes = self.constraint_changes if within is None else self.constraint_changes[:within]
        for changed_table, changed_name, exists in reversed(changes):
            if (changed_table, changed_name) == (table, name):
                return exists
        return None

    def apply(self, effect: Effect) -> None:
        """Record what a statement established, once its rules have run."""
        self.column_types.update(effect.column_types)
        self.column_defaults.update(effect.column_defaults)
        self.created_enums |= effect.enums
        self.constraint_changes.extend(effect.constraint_changes)
        for index, (table, columns) in effect.index_columns.items():
            self.index_tables[index] = table
            self.index_columns[index] = columns
        for name, (table, column, valid) in effect.not_null_checks.items():
            self.not_null_checks[(table, name)] = (column, valid)
        for table, name in effect.validated:
            if (table, name) in self.not_null_checks:
                column, _ = self.not_null_checks[(table, name)]
                self.not_null_checks[(table, name)] = (column, True)

    def index_table(self, index: str) -> str | None:
        if index in self.index_tables:
            return self.index_tables[index]
        return self.snapshot.index_tables.get(index) if self.snapshot else None

    @property
    def session_timezone(self) -> str | None:
        if self.timezone is not None:
            return self.timezone
        return self.snapshot.timezone if self.snapshot else None
