"""A column move: the old column, the new one that replaces it, and how a value gets across.

What change-column-type and rename-column plan from: read from the pre-migration snapshot, refused with
the objects named when something depends on the old column that zdt would not carry over. The design is
in docs/column-sync.md.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pglast import ast

from zdt.analysis import names
from zdt.analysis.names import derived_name
from zdt.analysis.parse_tree import (
    column_refs,
    index_columns,
    name_strings,
    parse_constraint,
    parse_expression,
    referenced_columns,
    type_name_of,
)
from zdt.analysis.volatility import called_functions, is_volatile
from zdt.recipes._batch_key import require_batch_key
from zdt.recipes.base import PlanningContext, split_name
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import ColumnInfo, IndexInfo, SchemaSnapshot, TableInfo


@dataclass(frozen=True)
class ColumnMove:
    """One old column, the new column that replaces it, and how a value gets from one to the other."""

    table: str
    old_info: ColumnInfo
    new: str
    old_type: ast.TypeName
    new_type: ast.TypeName
    old_is_enum: bool  # an enum casts to no other enum: the copy back goes through text
    conversion: ast.Node | None  # the new value from a bare reference to the old column; None: same value
    collation: ast.CollateClause | None
    key: str
    indexes: tuple[IndexInfo, ...]
    expand_default: ast.Node | None  # set on the new column from the start (not volatile)
    contract_default: ast.Node | None  # volatile: old code's inserts fill it through the trigger until then
    other_triggers: tuple[str, ...]
    purpose: str  # "change the type of public.t.c to bigint", for step descriptions
    handover: str  # what the application must have done before the contract phase

    @property
    def old(self) -> str:
        return self.old_info.name

    @property
    def schema(self) -> str:
        return split_name(self.table)[0]

    @property
    def relname(self) -> str:
        return split_name(self.table)[1]

    @property
    def function(self) -> str:
        """The trigger function's unqualified name: in the table's schema, derived from table and column."""
        return derived_name(f"zdt_sync_{self.relname}_{self.old}")

    @property
    def trigger(self) -> str:
        return self.function

    @property
    def same_value(self) -> bool:
        return self.conversion is None


def plan_move(
    context: PlanningContext,
    *,
    table: str,
    old: str,
    new: str,
    new_type: ast.TypeName | None,
    conversion: ast.Node | None,
    collation: ast.CollateClause | None,
    purpose: str,
    handover: str,
) -> ColumnMove:
    """Everything the steps need, read from the pre-migration snapshot; PlanningError when unsafe.

    ``new_type`` None keeps the old column's type. The snapshot, not ``context.state``, describes the
    column: the state already reflects the statement being planned.
    """
    line = context.statement.line
    snapshot = context.snapshot
    if snapshot is None:
        raise PlanningError(
            f"line {line}: to {purpose}, zdt needs the current schema (the column's type, NOT NULL, "
            "default, indexes and dependants): plan against the database"
        )
    info = snapshot.table(table)
    if info is None or info.kind != "r":
        kind = "is not in the schema" if info is None else f"is not a plain table (relkind {info.kind})"
        raise PlanningError(f"line {line}: cannot {purpose}: {table} {kind}")
    current = info.columns.get(old)
    if current is None:
        raise PlanningError(f"line {line}: cannot {purpose}: {table} has no column {old}")
    if new in info.columns:
        raise PlanningError(f"line {line}: cannot {purpose}: {table} already has a column {new}")
    blockers = _blockers(snapshot, info, current)
    if blockers:
        raise PlanningError(
            f"line {line}: cannot {purpose}: " + "; ".join(blockers) + ". zdt does not carry these over "
            "to a new column: drop them first and recreate them once the change is complete"
        )
    key = require_batch_key(context, table, f"the backfill to {purpose}")
    old_type = type_name_of(current.type)
    default = context.state.column_default(table, old)  # an earlier DROP DEFAULT of the file counts
    if default is not None and new_type is not None:
        _refuse_uncastable_default(context, current, default, old_type, new_type, purpose)
    expand_default, contract_default = _defaults(context, table, current, default, snapshot)
    return ColumnMove(
        table=table,
        old_info=current,
        new=new,
        old_type=old_type,
        new_type=new_type if new_type is not None else copy.deepcopy(old_type),
        old_is_enum=snapshot.is_enum(current.type),
        conversion=conversion,
        collation=collation,
        key=key,
        indexes=tuple(
            sorted(
                (
                    index
                    for index in info.indexes
                    if index.valid
                    and index.name not in context.state.dropped  # dropped earlier in the same file
                    and old in index_columns(index.definition)
                ),
                key=lambda index: index.name,
            )
        ),
        expand_default=expand_default,
        contract_default=contract_default,
        other_triggers=tuple(info.triggers),
        purpose=purpose,
        handover=handover,
    )


def _blockers(snapshot: SchemaSnapshot, info: TableInfo, current: ColumnInfo) -> list[str]:
    """Objects that depend on the old column and would break (or be silently lost) with it."""
    name = current.name
    found: list[str] = []
    if current.generated:
        found.append(f"{name} is a generated column")
    if info.dependent_views:
        found.append(
            f"views depend on {info.name} ({', '.join(info.dependent_views)}); the snapshot does not say "
            f"which columns they use, and dropping {name} fails if one of them does"
        )
    for index in info.indexes:
        if index.primary and name in index_columns(index.definition):
            found.append(f"{name} is part of the primary key {index.name}")
    for check in info.checks:
        if name in referenced_columns(parse_constraint(check.definition).raw_expr):
            found.append(f"CHECK constraint {check.name} uses {name}")
    for foreign_key in info.foreign_keys:
        if name in name_strings(parse_constraint(foreign_key.definition).fk_attrs):
            found.append(f"foreign key {foreign_key.name} uses {name}")
    for referencing in info.referenced_by:
        other = snapshot.table(referencing)
        for foreign_key in other.foreign_keys if other else ():
            constraint = parse_constraint(foreign_key.definition)
            if foreign_key.referenced_table == info.name and name in name_strings(constraint.pk_attrs):
                found.append(f"foreign key {foreign_key.name} of {referencing} references {name}")
    for other_column in info.columns.values():
        computed_from = other_column.generated and other_column.default
        if computed_from and name in referenced_columns(parse_expression(other_column.default or "")):
            found.append(f"generated column {other_column.name} is computed from {name}")
    return found


def _refuse_uncastable_default(
    context: PlanningContext,
    current: ColumnInfo,
    default: str,
    old_type: ast.TypeName,
    new_type: ast.TypeName,
    purpose: str,
) -> None:
    """ALTER COLUMN TYPE converts the default by an assignment cast (USING does not apply to it), and no
    type has one to an enum: PostgreSQL refuses the statement as written ("default for column ... cannot
    be cast automatically"), and the new column's ADD COLUMN ... DEFAULT would fail the same way."""
    target = _type_key(new_type)
    if not context.state.is_enum(target) or _type_key(old_type) == target:
        return
    raise PlanningError(
        f"line {context.statement.line}: cannot {purpose}: the default of {current.name} ({default}) "
        f"cannot be cast automatically to the enum {target}, so PostgreSQL refuses this statement as "
        f"written too: DROP DEFAULT before the type change and SET DEFAULT to a value of {target} after"
    )


def _type_key(type_name: ast.TypeName) -> str:
    """'public.e' for ``e`` or ``public.e``: how the snapshot and the state name an enum."""
    parts = [part for part in type_name.names or () if isinstance(part, ast.String)]
    return names.of_name_list(parts) if parts else ""


def _defaults(
    context: PlanningContext, table: str, current: ColumnInfo, default: str | None, snapshot: SchemaSnapshot
) -> tuple[ast.Node | None, ast.Node | None]:
    """(default from expand on, default from contract on) for the new column: ``default``, the old
    column's default as this statement finds it (None: it has none, or the file dropped it).

    The old default goes on the new column as it is: ADD COLUMN ... DEFAULT converts it by the same
    assignment cast as ALTER COLUMN TYPE does (and pg_get_expr shows both the same way), so the column
    ends with the default the statement as written would leave.

    A volatile default cannot go on the new column while old code still inserts: the trigger would have
    no way to tell a computed default from a value the statement wrote. Old code's inserts fill the old
    column's default and the trigger copies it; the new column takes the default over at the contract.
    """
    if not default:
        return None, None
    expression = parse_expression(default)
    if "nextval" in {name.lower() for name in called_functions(expression)}:
        raise PlanningError(
            f"line {context.statement.line}: {table}.{current.name} takes its default from a sequence "
            f"({default}); the sequence belongs to the column and would go with it: out of scope"
        )
    if is_volatile(expression, snapshot.function_volatility):
        return None, expression
    return expression, None


def forward(move: ColumnMove, record: str | None = None) -> ast.Node:
    """The new column's value from the old one; ``record`` ("new") qualifies columns inside the trigger."""
    if move.conversion is None:
        return _ref(move.old, record)
    expression = copy.deepcopy(move.conversion)
    if record is not None:
        for reference in column_refs(expression):
            reference.fields = (ast.String(record), *(reference.fields or ()))
    return ast.TypeCast(arg=expression, typeName=copy.deepcopy(move.new_type))


def reverse(move: ColumnMove, record: str | None = None) -> ast.Node:
    """The old column's value from the new one: a cast back (the trigger checks it round-trips); from an
    enum by way of its text, since PostgreSQL casts no enum to another enum."""
    if move.conversion is None:
        return _ref(move.new, record)
    value: ast.Node = _ref(move.new, record)
    if move.old_is_enum:
        value = ast.TypeCast(arg=value, typeName=ast.TypeName(names=(ast.String("text"),)))
    return ast.TypeCast(arg=value, typeName=copy.deepcopy(move.old_type))


def _ref(name: str, record: str | None = None) -> ast.ColumnRef:
    fields = (ast.String(record), ast.String(name)) if record else (ast.String(name),)
    return ast.ColumnRef(fields=fields)
