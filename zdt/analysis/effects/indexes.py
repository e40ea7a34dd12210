"""CREATE INDEX, DROP INDEX and REINDEX: what an index build or removal locks.

A plain CREATE INDEX holds ShareLock on the table for the whole build (reads go on, writes wait);
CONCURRENTLY holds only ShareUpdateExclusiveLock, builds in several transactions and so cannot run inside
a transaction block. DROP INDEX takes AccessExclusiveLock on the table, briefly; CONCURRENTLY avoids it.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ReindexObjectType

from zdt.analysis import names
from zdt.analysis.effects.base import Effect
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.state import MigrationState


def create_index_effect(node: ast.IndexStmt, state: MigrationState) -> Effect:
    relation = required(node.relation, "IndexStmt.relation")
    table = names.of_range_var(relation)
    effect = Effect(target=table)
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if node.concurrent else LockMode.SHARE
    effect.lock(table, mode)
    info = state.table(table)
    partitions = info.partitions if info else []
    for partition in partitions:  # each partition's index is built under the same lock
        effect.lock(partition, mode)
    effect.scans_table = not partitions  # a partitioned table has no rows of its own
    effect.transactional = not node.concurrent
    if node.idxname:
        index = names.qualified(relation.schemaname, node.idxname)
        effect.created.add(index)
        columns = [param.name for param in node.indexParams or () if param.name]
        effect.index_columns[index] = (table, columns)
    return effect


def drop_index_effect(node: ast.DropStmt, state: MigrationState) -> Effect:
    effect = Effect()
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if node.concurrent else LockMode.ACCESS_EXCLUSIVE
    effect.transactional = not node.concurrent
    for object_names in node.objects or ():
        index = names.of_name_list(object_names)
        table = state.index_table(index)
        # Even CONCURRENTLY ends with a brief AccessExclusiveLock on the index itself.
        effect.lock(index, LockMode.ACCESS_EXCLUSIVE)
        effect.dropped.add(index)
        if table:
            effect.lock(table, mode)
            effect.target = effect.target or table
        else:
            effect.notes.append(f"table of index {index} unknown without a database connection")
    if effect.target is None and effect.tables:
        effect.target = effect.tables[0]
    return effect


def reindex_effect(node: ast.ReindexStmt, state: MigrationState) -> Effect:
    concurrent = any(option.defname == "concurrently" for option in node.params or ())
    effect = Effect(transactional=not concurrent)
    effect.scans_table = True
    # Plain REINDEX holds AccessExclusiveLock on the indexes it rebuilds, and a SELECT must lock every
    # index of its table while planning: reads wait too. CONCURRENTLY takes that lock only for the swap.
    effect.index_lock_blocks_reads = not concurrent
    table_mode = LockMode.SHARE_UPDATE_EXCLUSIVE if concurrent else LockMode.SHARE
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX and node.relation is not None:
        index = names.of_range_var(node.relation)
        table = state.index_table(index)
        effect.lock(index, LockMode.ACCESS_EXCLUSIVE)
        if table:
            effect.lock(table, table_mode)
            effect.target = table
        else:
            effect.target = index
    elif node.kind == ReindexObjectType.REINDEX_OBJECT_TABLE and node.relation is not None:
        table = names.of_range_var(node.relation)
        effect.lock(table, table_mode)
        effect.target = table
        info = state.table(table)
        for table_index in info.indexes if info else ():
            effect.lock(table_index.name, LockMode.ACCESS_EXCLUSIVE)
    else:
        effect.notes.append("REINDEX SCHEMA/DATABASE/SYSTEM locks every table it reaches in turn")
    return effect
