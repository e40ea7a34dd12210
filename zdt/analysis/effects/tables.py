"""CREATE, DROP, RENAME and TRUNCATE of tables and other relations."""

from __future__ import annotations

from pglast import ast
from pglast.enums import ConstrType, ObjectType

from zdt.analysis import names, types
from zdt.analysis.effects.base import Effect
from zdt.analysis.effects.data import select_effect
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.state import MigrationState

AE = LockMode.ACCESS_EXCLUSIVE


def create_table_effect(node: ast.CreateStmt, state: MigrationState) -> Effect:
    """A new table is invisible to others; only tables it references by foreign key get locked."""
    table = names.of_range_var(required(node.relation, "CreateStmt.relation"))
    effect = Effect(target=table)
    effect.touch(table)
    if node.if_not_exists and state.relation_exists(table):
        return effect  # a no-op that leaves the live table, and its traffic, as they are
    effect.created.add(table)
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            column = required(element.colname, "ColumnDef.colname")
            column_type = types.from_type_name(
                required(element.typeName, "CREATE TABLE's ColumnDef.typeName")
            )
            effect.column_types[(table, column)] = str(column_type)
            for constraint in element.constraints or ():
                _lock_referenced(constraint, effect)
        elif isinstance(element, ast.Constraint):
            _lock_referenced(element, effect)
    for parent in node.inhRelations or ():
        effect.lock(names.of_range_var(parent), AE if node.partbound else LockMode.SHARE_UPDATE_EXCLUSIVE)
    return effect


def _lock_referenced(constraint: ast.Constraint, effect: Effect) -> None:
    if constraint.contype == ConstrType.CONSTR_FOREIGN and constraint.pktable is not None:
        effect.lock(names.of_range_var(constraint.pktable), LockMode.SHARE_ROW_EXCLUSIVE)


def create_table_as_effect(node: ast.CreateTableAsStmt, state: MigrationState) -> Effect:
    into = required(node.into, "CreateTableAsStmt.into")
    table = names.of_range_var(required(into.rel, "IntoClause.rel"))
    effect = select_effect(node.query, state) if isinstance(node.query, ast.SelectStmt) else Effect()
    effect.target = table
    effect.touch(table)
    if not (node.if_not_exists and state.relation_exists(table)):
        effect.created.add(table)
    return effect


DROPPABLE_RELATIONS = {
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_SEQUENCE,
    ObjectType.OBJECT_FOREIGN_TABLE,
}


def drop_relation_effect(node: ast.DropStmt, state: MigrationState) -> Effect:
    effect = Effect()
    for object_names in node.objects or ():
        relation = names.of_name_list(object_names)
        effect.lock(relation, AE)
        effect.dropped.add(relation)
        effect.target = effect.target or relation
        info = state.table(relation)
        if info is None:
            continue
        effect.target_takes_writes = info.kind in ("r", "p")
        for foreign_key in info.foreign_keys:  # its FK triggers on the referenced table go too
            if foreign_key.referenced_table != relation:
                effect.lock(foreign_key.referenced_table, AE)
        if node.behavior and info.referenced_by:
            for referencing in info.referenced_by:
                effect.lock(referencing, AE)
    return effect


def truncate_effect(node: ast.TruncateStmt, state: MigrationState) -> Effect:
    effect = Effect()
    for relation in node.relations or ():
        table = names.of_range_var(relation)
        effect.lock(table, AE)
        effect.target = effect.target or table
        if node.behavior:  # CASCADE truncates every table that references it, transitively
            for referencing in _referencing_closure(table, state):
                effect.lock(referencing, AE)
    effect.rewrites_table = True
    effect.notes.append("TRUNCATE gives the table new, empty files: all its rows are gone")
    return effect


def _referencing_closure(table: str, state: MigrationState) -> list[str]:
    found: list[str] = []
    pending = [table]
    while pending:
        info = state.table(pending.pop())
        for referencing in info.referenced_by if info else ():
            if referencing != table and referencing not in found:
                found.append(referencing)
                pending.append(referencing)
    return found


def rename_effect(node: ast.RenameStmt, state: MigrationState) -> Effect:
    effect = Effect()
    if node.relation is None:
        return effect
    relation = names.of_range_var(node.relation)
    effect.target = relation
    if node.renameType == ObjectType.OBJECT_INDEX:
        table = state.index_table(relation)
        effect.lock(relation, LockMode.SHARE_UPDATE_EXCLUSIVE)
        if table:
            effect.touch(table)
        return effect
    effect.lock(relation, AE)
    if node.renameType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
        new_name = required(node.newname, "RenameStmt.newname")
        effect.renamed = (relation, names.qualified(node.relation.schemaname, new_name))
    return effect
