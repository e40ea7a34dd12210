"""Helpers shared by several rules: reading CREATE/ALTER TABLE nodes and spelling common fixes.

Not a rule: discovery imports this module and finds no Rule subclass in it. Everything here reads the
parse tree or the schema snapshot; lock modes, rewrites and scans come from the statement's Effect.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream, maybe_double_quote_name

from zdt.analysis import types
from zdt.analysis.fields import required
from zdt.analysis.rules.base import RuleContext
from zdt.analysis.types import ColumnType


def alter_commands(
    context: RuleContext,
    *subtypes: AlterTableType,
    objtypes: tuple[ObjectType, ...] = (ObjectType.OBJECT_TABLE,),
) -> list[ast.AlterTableCmd]:
    """The sub-commands of an ALTER TABLE statement with one of ``subtypes`` (all when none given)."""
    node = context.node
    if not isinstance(node, ast.AlterTableStmt) or node.objtype not in objtypes:
        return []
    return [
        command
        for command in node.cmds or ()
        if isinstance(command, ast.AlterTableCmd) and (not subtypes or command.subtype in subtypes)
    ]


def added_columns(context: RuleContext) -> list[ast.ColumnDef]:
    """Column definitions of ALTER TABLE ... ADD COLUMN sub-commands."""
    return [
        command.def_
        for command in alter_commands(context, AlterTableType.AT_AddColumn)
        if isinstance(command.def_, ast.ColumnDef)
    ]


def created_columns(context: RuleContext) -> list[ast.ColumnDef]:
    """Column definitions of a CREATE TABLE statement (with a type: PARTITION OF columns have none)."""
    node = context.node
    if not isinstance(node, ast.CreateStmt):
        return []
    return [
        element
        for element in node.tableElts or ()
        if isinstance(element, ast.ColumnDef) and element.typeName is not None
    ]


def declared_types(context: RuleContext) -> Iterator[tuple[str, ColumnType, str]]:
    """(column, type, verb) for every column type a CREATE TABLE, ADD COLUMN or ALTER ... TYPE names.

    ``verb`` is "created", "added" or "changed to", for messages.
    """
    for column in created_columns(context):
        yield colname_of(column), types.from_type_name(type_name_of(column)), "created"
    for column in added_columns(context):
        yield colname_of(column), types.from_type_name(type_name_of(column)), "added"
    for command in alter_commands(context, AlterTableType.AT_AlterColumnType):
        definition = command.def_
        if isinstance(definition, ast.ColumnDef) and definition.typeName is not None:
            name = required(command.name, "ALTER COLUMN TYPE's AlterTableCmd.name")
            yield name, types.from_type_name(definition.typeName), "changed to"


def colname_of(column: ast.ColumnDef) -> str:
    """The column's name: every ColumnDef of CREATE TABLE and ADD COLUMN has one."""
    return required(column.colname, "ColumnDef.colname")


def type_name_of(column: ast.ColumnDef) -> ast.TypeName:
    """The column's type: every ColumnDef of ADD COLUMN has one, and created_columns() keeps only those."""
    return required(column.typeName, "ColumnDef.typeName")


def type_text(column_type: ColumnType) -> str:
    """format_type() spelling, with the modifiers before an array's brackets: 'character(2)[]'."""
    return str(column_type)


def constraints_of(column: ast.ColumnDef, *kinds: ConstrType) -> list[ast.Constraint]:
    return [
        constraint
        for constraint in column.constraints or ()
        if isinstance(constraint, ast.Constraint) and constraint.contype in kinds
    ]


def default_of(column: ast.ColumnDef) -> ast.Node | None:
    """The column's DEFAULT expression; None when there is none or it is a plain NULL."""
    for constraint in constraints_of(column, ConstrType.CONSTR_DEFAULT):
        expression = constraint.raw_expr
        if isinstance(expression, ast.A_Const) and expression.isnull:
            return None
        return expression
    return None


def fills_existing_rows(column: ast.ColumnDef) -> bool:
    """serial, identity and generated columns compute a value for every existing row themselves."""
    if types.is_serial(type_name_of(column)):
        return True
    return bool(constraints_of(column, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED))


def to_sql(node: ast.Node) -> str:
    """The node printed back as SQL."""
    return RawStream()(node)


def quote(name: str) -> str:
    return maybe_double_quote_name(name)


def column_name(table: str | None, column: str) -> str:
    """'public.users' + 'email' -> 'public.users.email', for messages."""
    return f"{table}.{quote(column)}" if table else quote(column)


def relname(context: RuleContext) -> str:
    """The target table's name without its schema, to build constraint and index names from."""
    relation = getattr(context.node, "relation", None)
    if isinstance(relation, ast.RangeVar):
        return required(relation.relname, "RangeVar.relname")
    return (context.target or "t").rsplit(".", 1)[-1].strip('"')


def key_names(keys: tuple[ast.String, ...] | list[ast.String] | None) -> list[str]:
    return [required(key.sval, "String.sval") for key in keys or () if isinstance(key, ast.String)]


def provably_not_null(context: RuleContext, table: str, column: str) -> bool:
    """The snapshot shows ``column`` NOT NULL, or (PostgreSQL 12+) a validated CHECK (column IS NOT NULL)."""
    info = context.state.table(table)
    if info is None:
        return False
    described = info.columns.get(column)
    if described is not None and described.not_null:
        return True
    return context.pg_version >= 12 and any(
        check.validated and check.not_null_column == column for check in info.checks
    )


def not_null_route(table: str, column: str, pg_version: int, constraint: str) -> str:
    """How to get ``column`` NOT NULL on a live table without a scan under AccessExclusiveLock."""
    col = quote(column)
    name = quote(constraint)
    if pg_version >= 18:
        return (
            f"ALTER TABLE {table} ADD CONSTRAINT {name} NOT NULL {col} NOT VALID; then, in a separate "
            f"transaction, ALTER TABLE {table} VALIDATE CONSTRAINT {name}; (the scan runs under "
            "ShareUpdateExclusiveLock, so reads and writes continue; the column is NOT NULL once validated)"
        )
    check = f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({col} IS NOT NULL) NOT VALID"
    validate = f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"
    if pg_version >= 12:
        return (
            f"{check}; then, in a separate transaction, {validate}; (scans under "
            f"ShareUpdateExclusiveLock, reads and writes continue); then ALTER TABLE {table} ALTER COLUMN "
            f"{col} SET NOT NULL; (no scan: the validated CHECK proves it) and ALTER TABLE {table} "
            f"DROP CONSTRAINT {name}"
        )
    return (
        f"{check}; then, in a separate transaction, {validate}; and keep that CHECK instead of SET NOT NULL: "
        f"before PostgreSQL 12, SET NOT NULL always scans the table under AccessExclusiveLock"
    )
