"""ALTER TABLE: the lock, rewrite and scan of every sub-command.

Lock levels follow PostgreSQL's AlterTableGetLockLevel (tablecmds.c); a statement with several
sub-commands takes the strongest of them. Rewrites and scans depend on the column's current type, the
default's volatility, existing valid CHECK constraints and the server version, which come from the
state (the script so far plus the schema snapshot when connected).
"""

from __future__ import annotations

from pglast import ast, parser
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, DropBehavior, NullTestType, ObjectType
from pglast.stream import RawStream

from zdt.analysis import column_dependents, names, types
from zdt.analysis.effects.base import Effect
from zdt.analysis.fields import node_of, nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.analysis.parse_tree import CatalogueTextError, parse_index
from zdt.analysis.state import MigrationState
from zdt.analysis.volatility import is_volatile

AE = LockMode.ACCESS_EXCLUSIVE
SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
SRE = LockMode.SHARE_ROW_EXCLUSIVE

_SHARE_UPDATE_EXCLUSIVE_COMMANDS = {
    AT.AT_SetStatistics,
    AT.AT_SetOptions,
    AT.AT_ResetOptions,
    AT.AT_ClusterOn,
    AT.AT_DropCluster,
    AT.AT_ValidateConstraint,
    AT.AT_DetachPartitionFinalize,
}
_TRIGGER_COMMANDS = {
    AT.AT_EnableTrig,
    AT.AT_EnableAlwaysTrig,
    AT.AT_EnableReplicaTrig,
    AT.AT_DisableTrig,
    AT.AT_EnableTrigAll,
    AT.AT_DisableTrigAll,
    AT.AT_EnableTrigUser,
    AT.AT_DisableTrigUser,
}
_REWRITING_COMMANDS = {AT.AT_SetLogged, AT.AT_SetUnLogged, AT.AT_SetAccessMethod}
# Storage parameters that only affect vacuum and planning: ShareUpdateExclusiveLock suffices.
_LIGHT_RELOPTIONS_PREFIXES = ("autovacuum_", "toast.autovacuum_", "fillfactor", "parallel_workers")
_LIGHT_RELOPTIONS = {
    "log_autovacuum_min_duration",
    "toast.log_autovacuum_min_duration",
    "vacuum_truncate",
    "toast.vacuum_truncate",
    "vacuum_index_cleanup",
    "toast.vacuum_index_cleanup",
    "user_catalog_table",
}


def alter_table_effect(node: ast.AlterTableStmt, state: MigrationState) -> Effect:
    table = names.of_range_var(required(node.relation, "AlterTableStmt.relation"))
    effect = Effect(target=table)
    effect.touch(table)
    if node.objtype == ObjectType.OBJECT_INDEX:
        return _alter_index(node, table, state, effect)
    for command in node.cmds or ():
        _apply_command(command, table, state, effect, node.objtype)
    return effect


def _alter_index(node: ast.AlterTableStmt, index: str, state: MigrationState, effect: Effect) -> Effect:
    owner = state.index_table(index)
    mode = SUE
    for command in node.cmds or ():
        if command.subtype == AT.AT_SetTableSpace:
            mode, effect.rewrites_table = AE, False
    effect.lock(index, mode)
    if owner:
        effect.lock(owner, LockMode.ACCESS_SHARE if mode is SUE else AE)
    return effect


def _apply_command(
    command: ast.AlterTableCmd,
    table: str,
    state: MigrationState,
    effect: Effect,
    objtype: ObjectType | None,
) -> None:
    subtype = command.subtype
    _record_constraint_change(command, table, effect)
    if subtype in _SHARE_UPDATE_EXCLUSIVE_COMMANDS:
        effect.lock(table, SUE)
        if subtype == AT.AT_ValidateConstraint:
            _validate_constraint(command, table, state, effect)
        return
    if subtype in _TRIGGER_COMMANDS:
        effect.lock(table, SRE)
        return
    if subtype == AT.AT_AlterConstraint:
        effect.lock(table, SRE)
        return
    if subtype in (AT.AT_SetRelOptions, AT.AT_ResetRelOptions):
        effect.lock(table, _reloptions_lock(command))
        return
    if subtype == AT.AT_AttachPartition:
        _attach_partition(command, table, effect)
        return
    if subtype == AT.AT_DetachPartition:
        _detach_partition(command, table, effect)
        return
    if subtype == AT.AT_AddConstraint:
        constraint = node_of(command.def_, ast.Constraint, "ADD CONSTRAINT's AlterTableCmd.def_")
        if constraint.contype == ConstrType.CONSTR_FOREIGN:
            _add_constraint(constraint, table, state, effect)  # adds triggers: ShareRowExclusiveLock
            return
    effect.lock(table, AE)
    if subtype == AT.AT_AddColumn:
        _add_column(
            node_of(command.def_, ast.ColumnDef, "ADD COLUMN's AlterTableCmd.def_"), table, state, effect
        )
    elif subtype == AT.AT_AlterColumnType:
        _alter_column_type(command, table, state, effect)
    elif subtype == AT.AT_ColumnDefault:
        column = required(command.name, "SET/DROP DEFAULT's AlterTableCmd.name")
        effect.column_defaults[(table, column)] = (
            None if command.def_ is None else str(RawStream()(command.def_))
        )
    elif subtype == AT.AT_SetNotNull:
        _set_not_null(required(command.name, "SET NOT NULL's AlterTableCmd.name"), table, state, effect)
    elif subtype == AT.AT_AddConstraint:
        _add_constraint(constraint, table, state, effect)
    elif subtype == AT.AT_DropConstraint:
        _drop_constraint(command, table, state, effect)
    elif subtype == AT.AT_DropColumn:
        column = required(command.name, "DROP COLUMN's AlterTableCmd.name")
        _lock_referenced_by_column_fks(column, table, state, effect)
        _drop_column_dependents(column, table, state, effect)
    elif subtype in _REWRITING_COMMANDS and _is_partitioned(table, state):
        effect.notes.append(f"{table} is partitioned: only the default for future partitions changes")
    elif subtype in _REWRITING_COMMANDS or subtype == AT.AT_SetExpression:
        effect.rewrites_table = effect.scans_table = True
    elif subtype == AT.AT_SetTableSpace:
        info = state.table(table)
        current = (info.tablespace if info else None) or "pg_default"
        if info is not None and info.kind == "p":
            effect.notes.append(f"{table} is partitioned: only the default for future partitions changes")
        elif info is None or command.name != current:
            effect.rewrites_table = effect.scans_table = True
            effect.notes.append("SET TABLESPACE copies the table's files to the new tablespace")


def _record_constraint_change(command: ast.AlterTableCmd, table: str, effect: Effect) -> None:
    """A named constraint added or dropped: later statements must not trust the snapshot about it."""
    if command.subtype == AT.AT_AddConstraint and isinstance(command.def_, ast.Constraint):
        if command.def_.conname:
            effect.constraint_changes.append((table, command.def_.conname, True))
    elif command.subtype == AT.AT_DropConstraint and command.name:
        effect.constraint_changes.append((table, command.name, False))


def _is_partitioned(table: str, state: MigrationState) -> bool:
    info = state.table(table)
    return info is not None and info.kind == "p"


def _reloptions_lock(command: ast.AlterTableCmd) -> LockMode:
    for option in nodes_of(command.def_, ast.DefElem, "SET/RESET (...)'s AlterTableCmd.def_"):
        defname = required(option.defname, "DefElem.defname")
        name = f"{option.defnamespace}.{defname}" if option.defnamespace else defname
        if not (name in _LIGHT_RELOPTIONS or name.startswith(_LIGHT_RELOPTIONS_PREFIXES)):
            return AE
    return SUE


def _add_column(column: ast.ColumnDef, table: str, state: MigrationState, effect: Effect) -> None:
    column_type = types.from_type_name(required(column.typeName, "ADD COLUMN's ColumnDef.typeName"))
    effect.column_types[(table, required(column.colname, "ColumnDef.colname"))] = str(column_type)
    volatility = state.snapshot.function_volatility if state.snapshot else None
    default: ast.Node | None = None
    not_null = bool(column.is_not_null)
    for constraint in column.constraints or ():
        kind = constraint.contype
        if kind == ConstrType.CONSTR_DEFAULT:
            default = constraint.raw_expr
        elif kind == ConstrType.CONSTR_NOTNULL:
            not_null = True
        elif kind == ConstrType.CONSTR_IDENTITY:
            effect.rewrites_table = effect.scans_table = True
            effect.notes.append(f"identity column {column.colname} fills every existing row")
        elif kind == ConstrType.CONSTR_GENERATED and constraint.generated_kind == "s":
            effect.rewrites_table = effect.scans_table = True
            effect.notes.append(f"stored generated column {column.colname} is computed for every row")
        elif kind == ConstrType.CONSTR_GENERATED and state.pg_version < 18:
            effect.rewrites_table = effect.scans_table = True
        elif _builds_or_validates(constraint):
            effect.scans_table = True
        elif kind == ConstrType.CONSTR_FOREIGN:  # a new column is all NULL: nothing to validate
            effect.lock(names.of_range_var(constraint.pktable), SRE)
    if types.is_serial(required(column.typeName, "ADD COLUMN's ColumnDef.typeName")):
        effect.rewrites_table = effect.scans_table = True
        effect.notes.append(f"serial column {column.colname} takes nextval() for every existing row")
    elif default is not None and _is_null_constant(default):
        default = None
    if default is not None:
        if state.pg_version < 11 or is_volatile(default, volatility):
            effect.rewrites_table = effect.scans_table = True
    elif not_null and not effect.rewrites_table:
        effect.scans_table = True  # every existing row must be checked (and fails if there are rows)


def _builds_or_validates(constraint: ast.Constraint) -> bool:
    """An inline UNIQUE/PRIMARY KEY builds an index; an inline CHECK is checked against every row."""
    if constraint.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        return True
    return constraint.contype == ConstrType.CONSTR_CHECK and not constraint.skip_validation


def _is_null_constant(expression: ast.Node) -> bool:
    return isinstance(expression, ast.A_Const) and bool(expression.isnull)


def _alter_column_type(command: ast.AlterTableCmd, table: str, state: MigrationState, effect: Effect) -> None:
    column = required(command.name, "ALTER COLUMN TYPE's AlterTableCmd.name")
    definition = node_of(command.def_, ast.ColumnDef, "ALTER COLUMN TYPE's AlterTableCmd.def_")
    new_type = types.from_type_name(required(definition.typeName, "ALTER COLUMN TYPE's ColumnDef.typeName"))
    current = effect.column_types.get((table, column)) or state.column_type(table, column)
    if definition.raw_default is not None and not _is_bare_column(definition.raw_default, column):
        rewrites = True
    elif current is None:
        rewrites = True
        effect.notes.append(f"current type of {table}.{column} unknown: assumed to rewrite")
    else:
        casts = (
            {(source, target) for source, target in state.snapshot.binary_casts}
            if state.snapshot
            else _KNOWN_BINARY
        )
        rewrites = types.change_rewrites(
            types.parse_formatted(current),
            new_type,
            binary_casts=casts,
            pg_version=state.pg_version,
            timezone=state.session_timezone,
        )
    effect.rewrites_table = effect.rewrites_table or rewrites
    effect.scans_table = effect.scans_table or rewrites
    if rewrites:  # the foreign keys on the column are re-added, and re-checked against their tables
        _lock_referenced_by_column_fks(column, table, state, effect)
    effect.column_types[(table, column)] = str(new_type)
    info = state.table(table)
    if info and info.dependent_views:
        effect.notes.append(
            f"views depend on {table} ({', '.join(info.dependent_views)}): "
            "changing a column they use fails until they are dropped and recreated"
        )


_KNOWN_BINARY: set[tuple[str, str]] = {
    ("character varying", "text"),
    ("text", "character varying"),
    ("character", "character varying"),
    ("cidr", "inet"),
    ("xml", "text"),
    ("xml", "character varying"),
}


def _is_bare_column(expression: ast.Node | None, column: str) -> bool:
    while isinstance(expression, ast.TypeCast):
        expression = expression.arg
    return (
        isinstance(expression, ast.ColumnRef)
        and required(expression.fields, "ColumnRef.fields")[-1].sval == column
    )


def _set_not_null(column: str, table: str, state: MigrationState, effect: Effect) -> None:
    if state.is_new(table):
        return
    info = state.table(table)
    if info is not None and column in info.columns and info.columns[column].not_null:
        return
    if state.has_valid_not_null_check(table, column) and state.pg_version >= 12:
        effect.notes.append(f"a valid CHECK ({column} IS NOT NULL) lets PostgreSQL skip the scan")
        return
    effect.scans_table = True


def _add_constraint(constraint: ast.Constraint, table: str, state: MigrationState, effect: Effect) -> None:
    kind = constraint.contype
    validates = not constraint.skip_validation and not state.is_new(table)
    if kind == ConstrType.CONSTR_FOREIGN:
        effect.lock(table, SRE)
        effect.lock(names.of_range_var(required(constraint.pktable, "FOREIGN KEY's Constraint.pktable")), SRE)
        effect.scans_table = effect.scans_table or validates
    elif kind == ConstrType.CONSTR_CHECK:
        effect.scans_table = effect.scans_table or validates
        column = _not_null_check_column(constraint)
        if column and constraint.conname:
            effect.not_null_checks[constraint.conname] = (table, column, not constraint.skip_validation)
    elif kind == ConstrType.CONSTR_NOTNULL:
        for key in constraint.keys or ():
            if constraint.conname:  # PostgreSQL 18: VALIDATE of this constraint proves the column
                effect.not_null_checks[constraint.conname] = (table, key.sval, not constraint.skip_validation)
            if not constraint.skip_validation:
                _set_not_null(key.sval, table, state, effect)
    elif kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_EXCLUSION):
        if constraint.indexname:
            if kind == ConstrType.CONSTR_PRIMARY:
                for column in _index_columns(constraint.indexname, table, state):
                    _set_not_null(column, table, state, effect)
        else:
            effect.scans_table = True


def _not_null_check_column(constraint: ast.Constraint) -> str | None:
    """The column of a CHECK (column IS NOT NULL): the shape that lets SET NOT NULL skip its scan."""
    expression = constraint.raw_expr
    if (
        isinstance(expression, ast.NullTest)
        and expression.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expression.arg, ast.ColumnRef)
    ):
        return required(expression.arg.fields, "ColumnRef.fields")[-1].sval
    return None


def _index_columns(index_name: str, table: str, state: MigrationState) -> list[str]:
    """Key columns of an index (not its INCLUDE columns), from this script or the catalog definition."""
    qualified = names.qualified(table.split(".")[0].strip('"'), index_name)
    if qualified in state.index_columns:
        return state.index_columns[qualified]
    info = state.table(table)
    for index in info.indexes if info else ():
        if index.name == qualified:
            node = node_of(parser.parse_sql(index.definition)[0].stmt, ast.IndexStmt, "pg_get_indexdef()")
            return [param.name for param in node.indexParams or () if param.name]
    return []


def _drop_constraint(command: ast.AlterTableCmd, table: str, state: MigrationState, effect: Effect) -> None:
    """Dropping an FK removes its triggers from the referenced table (AccessExclusiveLock there too);
    dropping a key with CASCADE drops the FKs of every table that references it."""
    info = state.table(table)
    if info is None:
        return
    for foreign_key in info.foreign_keys:
        if foreign_key.name == command.name:
            effect.lock(foreign_key.referenced_table, AE)
    is_key = any(index.name.split(".")[-1] == command.name and index.unique for index in info.indexes)
    if is_key and command.behavior == DropBehavior.DROP_CASCADE:
        for referencing in info.referenced_by:
            effect.lock(referencing, AE)


def _lock_referenced_by_column_fks(column: str, table: str, state: MigrationState, effect: Effect) -> None:
    """A foreign key on this column goes away (or is rebuilt): its referenced table is locked too."""
    info = state.table(table)
    for foreign_key in info.foreign_keys if info else ():
        if column in foreign_key.columns and foreign_key.referenced_table != table:
            effect.lock(foreign_key.referenced_table, AE)


def _drop_column_dependents(column: str, table: str, state: MigrationState, effect: Effect) -> None:
    """The indexes and constraints PostgreSQL drops with the column are gone for later statements too."""
    info = state.table(table)
    if info is None:
        return
    try:
        indexes = column_dependents.indexes_using(info, column)
        checks = column_dependents.checks_using(info, column)
        key_names = [
            required(parse_index(index.definition).idxname, "pg_get_indexdef()'s IndexStmt.idxname")
            for index in indexes
            if index.constraint  # a key or EXCLUDE constraint, named as its index
        ]
    except (CatalogueTextError, parser.ParseError):
        effect.notes.append(
            f"the catalog's definitions on {table} do not parse: what goes with {column} unknown"
        )
        return
    effect.dropped.update(index.name for index in indexes)
    effect.constraint_changes.extend((table, name, False) for name in key_names)
    for foreign_key in column_dependents.foreign_keys_using(info, column):
        effect.constraint_changes.append((table, foreign_key.name, False))
    for check in checks:
        effect.constraint_changes.append((table, check.name, False))


def _validate_constraint(
    command: ast.AlterTableCmd, table: str, state: MigrationState, effect: Effect
) -> None:
    effect.scans_table = True
    effect.validated.add((table, required(command.name, "VALIDATE CONSTRAINT's AlterTableCmd.name")))
    info = state.table(table)
    if info is None:
        return
    for foreign_key in info.foreign_keys:
        if foreign_key.name == command.name:
            effect.lock(foreign_key.referenced_table, LockMode.ROW_SHARE)


def _attach_partition(command: ast.AlterTableCmd, parent: str, effect: Effect) -> None:
    partition_command = node_of(command.def_, ast.PartitionCmd, "ATTACH PARTITION's AlterTableCmd.def_")
    partition = names.of_range_var(required(partition_command.name, "PartitionCmd.name"))
    effect.lock(parent, SUE)
    effect.lock(partition, AE)
    effect.notes.append(
        f"attaching {partition} scans it unless a valid CHECK constraint already implies the partition bound"
    )


def _detach_partition(command: ast.AlterTableCmd, parent: str, effect: Effect) -> None:
    partition_command = node_of(command.def_, ast.PartitionCmd, "DETACH PARTITION's AlterTableCmd.def_")
    partition = names.of_range_var(required(partition_command.name, "PartitionCmd.name"))
    if partition_command.concurrent:  # the partition itself is locked exclusively for the final detach
        effect.lock(parent, SUE)
        effect.lock(partition, AE)
        effect.transactional = False
    else:
        effect.lock(parent, AE)
        effect.lock(partition, AE)
