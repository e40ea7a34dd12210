"""The effect of one statement on the database: the facts every rule and report is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

from zdt.analysis.locks import LockMode


@dataclass
class Effect:
    """What a statement does: locks, rewrites, scans, and the relations it creates or drops."""

    target: str | None = None
    tables: list[str] = field(default_factory=list)
    locks: dict[str, LockMode] = field(default_factory=dict)
    rewrites_table: bool = False
    scans_table: bool = False
    transactional: bool = True
    locks_every_row: bool = False
    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    renamed: tuple[str, str] | None = None
    # Facts the statement establishes for the statements after it; applied to the state only after every
    # rule has seen the statement, so rules always see the schema as it was before it.
    column_types: dict[tuple[str, str], str] = field(default_factory=dict)
    # SET DEFAULT (the expression's text) and DROP DEFAULT (None): the snapshot still has the old one.
    column_defaults: dict[tuple[str, str], str | None] = field(default_factory=dict)
    enums: set[str] = field(default_factory=set)  # enum types the statement creates
    index_columns: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # index -> (table, cols)
    not_null_checks: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # name -> (t, col, valid)
    validated: set[tuple[str, str]] = field(default_factory=set)  # (table, constraint name)
    # Named constraints added (True) or dropped (False), in statement order: (table, name, exists after).
    constraint_changes: list[tuple[str, str, bool]] = field(default_factory=list)
    # Set when a lock on one of the target's indexes makes plain SELECTs on the target wait: a query
    # locks every index of its table while it is planned (plain REINDEX holds AccessExclusiveLock on them).
    index_lock_blocks_reads: bool = False
    # Views, materialized views and sequences take no application writes of their own.
    target_takes_writes: bool = True
    notes: list[str] = field(default_factory=list)

    def lock(self, relation: str, mode: LockMode) -> None:
        """Record a lock, keeping the strongest mode per relation (as pg_locks would show it)."""
        held = self.locks.get(relation)
        if held is None or mode.strength > held.strength:
            self.locks[relation] = mode
        if relation not in self.tables:
            self.tables.append(relation)

    def touch(self, relation: str) -> None:
        if relation not in self.tables:
            self.tables.append(relation)

    @property
    def target_lock(self) -> LockMode | None:
        return self.locks.get(self.target) if self.target else None

    @property
    def blocks_reads(self) -> bool:
        mode = self.target_lock
        return bool(mode and mode.blocks_reads) or self.index_lock_blocks_reads

    @property
    def blocks_writes(self) -> bool:
        if not self.target_takes_writes:
            return False
        mode = self.target_lock
        return bool(mode and mode.blocks_writes) or self.locks_every_row or self.index_lock_blocks_reads
