"""Data statements (UPDATE, DELETE, INSERT, SELECT) and explicit LOCK TABLE.

Their table lock is mild (RowExclusiveLock), but an UPDATE or DELETE without WHERE locks every row it
touches until commit: every concurrent UPDATE of the table then waits, for as long as the scan takes.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import LockTupleMode
from pglast.visitors import Visitor

from zdt.analysis import names
from zdt.analysis.effects.base import Effect
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.state import MigrationState

_LOCK_STMT_MODES = {
    1: LockMode.ACCESS_SHARE,
    2: LockMode.ROW_SHARE,
    3: LockMode.ROW_EXCLUSIVE,
    4: LockMode.SHARE_UPDATE_EXCLUSIVE,
    5: LockMode.SHARE,
    6: LockMode.SHARE_ROW_EXCLUSIVE,
    7: LockMode.EXCLUSIVE,
    8: LockMode.ACCESS_EXCLUSIVE,
}


class _ReadRelations(Visitor):
    """Every table a statement reads (FROM, JOIN, sub-queries)."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: list[str] = []

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.relations.append(names.of_range_var(node))


def _read_relations(node: ast.Node | tuple[Any, ...] | None) -> list[str]:
    if node is None:
        return []
    visitor = _ReadRelations()
    visitor(node)
    return visitor.relations


def _lock_sources(effect: Effect, *parts: ast.Node | tuple[Any, ...] | None) -> None:
    for part in parts:
        for relation in _read_relations(part):
            if relation != effect.target:
                effect.lock(relation, LockMode.ACCESS_SHARE)


def _lock_referenced_keys(
    effect: Effect, table: str, columns: set[str] | None, state: MigrationState
) -> None:
    """Foreign-key checks read the referenced rows FOR KEY SHARE: RowShareLock on the referenced tables.
    ``columns`` None means every foreign key of the table is checked (INSERT)."""
    info = state.table(table)
    for foreign_key in info.foreign_keys if info else ():
        checked = columns is None or bool(columns & set(foreign_key.columns))
        if checked and foreign_key.referenced_table != table:
            effect.lock(foreign_key.referenced_table, LockMode.ROW_SHARE)


def update_effect(node: ast.UpdateStmt, state: MigrationState) -> Effect:
    table = names.of_range_var(required(node.relation, "UpdateStmt.relation"))
    effect = Effect(target=table)
    effect.lock(table, LockMode.ROW_EXCLUSIVE)
    _lock_sources(effect, node.fromClause, node.whereClause)
    assigned = {
        required(target.name, "UPDATE's ResTarget.name")
        for target in node.targetList or ()
        if isinstance(target, ast.ResTarget)
    }
    _lock_referenced_keys(effect, table, assigned, state)
    if node.whereClause is None:
        effect.scans_table = effect.locks_every_row = True
    return effect


def delete_effect(node: ast.DeleteStmt, state: MigrationState) -> Effect:
    table = names.of_range_var(required(node.relation, "DeleteStmt.relation"))
    effect = Effect(target=table)
    effect.lock(table, LockMode.ROW_EXCLUSIVE)
    _lock_sources(effect, node.usingClause, node.whereClause)
    if node.whereClause is None:
        effect.scans_table = effect.locks_every_row = True
    return effect


def insert_effect(node: ast.InsertStmt, state: MigrationState) -> Effect:
    table = names.of_range_var(required(node.relation, "InsertStmt.relation"))
    effect = Effect(target=table)
    effect.lock(table, LockMode.ROW_EXCLUSIVE)
    _lock_sources(effect, node.selectStmt)
    _lock_referenced_keys(effect, table, None, state)
    return effect


def select_effect(node: ast.SelectStmt, state: MigrationState) -> Effect:
    effect = Effect()
    row_locking = any(
        clause.strength != LockTupleMode.LockTupleKeyShare for clause in node.lockingClause or ()
    )
    mode = LockMode.ROW_SHARE if node.lockingClause else LockMode.ACCESS_SHARE
    for relation in _read_relations(node):
        effect.lock(relation, mode)
        effect.target = effect.target or relation
    if row_locking and node.whereClause is None:
        effect.locks_every_row = True
    return effect


def lock_table_effect(node: ast.LockStmt, state: MigrationState) -> Effect:
    effect = Effect()
    mode = _LOCK_STMT_MODES.get(required(node.mode, "LockStmt.mode"), LockMode.ACCESS_EXCLUSIVE)
    for relation in node.relations or ():
        table = names.of_range_var(relation)
        effect.lock(table, mode)
        effect.target = effect.target or table
    return effect
