"""Which database objects a statement defines and which it only mentions: what orders statements.

The planner groups steps by phase (expand, migrate, contract), which moves statements past each other.
That is only safe between statements about different objects: ``DROP INDEX t_a_idx`` then
``CREATE INDEX t_a_idx ...`` must stay in that order, or the create is skipped (or fails) and the drop
removes the new index. This module names the objects of a statement as keys:

- a statement *defines* the objects it creates, drops, renames or changes (a table, an index, one
  column, one constraint, a type, a function, a trigger);
- it *mentions* the objects it only uses (the table an ALTER TABLE works on, the columns an index
  covers, the types of its columns, the functions it calls).

Two statements depend on each other when one defines an object the other defines or mentions. Columns
and constraints are keys of their own, so ``ADD COLUMN c`` and ``DROP COLUMN b`` on one table stay
independent (both only mention the table), while dropping and re-adding ``b`` does not.

A view reads columns, and PostgreSQL refuses to change the type of (or drop) a column a view reads. So
``CREATE VIEW`` mentions the columns its query names (every column of a table it reads with ``*``), and
``DROP VIEW`` mentions the columns the view read: the schema snapshot knows them for the views that exist
(pg_depend), and ``ViewColumns`` remembers them for the views the file creates. ``DROP VIEW v`` then
``ALTER COLUMN c TYPE ...`` of a column ``v`` reads stays in that order, and so does the ``CREATE VIEW``
after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType
from pglast.stream import maybe_double_quote_name
from pglast.visitors import Visitor

from zdt.analysis import names
from zdt.analysis.plpgsql import PlpgsqlError, read_do_block
from zdt.schema.snapshot import SchemaSnapshot

Key = tuple[str, str]  # (kind, qualified name): ("relation", "public.t"), ("column", "public.t.c"), ...

RELATION_KINDS = {
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_INDEX,
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_SEQUENCE,
    ObjectType.OBJECT_FOREIGN_TABLE,
}
TYPE_KINDS = {ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN}
FUNCTION_KINDS = {ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE}
CONSTRAINT_COMMANDS = {AT.AT_AddConstraint, AT.AT_DropConstraint, AT.AT_ValidateConstraint}
# ENABLE / DISABLE [ALWAYS | REPLICA] TRIGGER <name>: the command's name is a trigger, not a column.
TRIGGER_COMMANDS = {AT.AT_EnableTrig, AT.AT_EnableAlwaysTrig, AT.AT_EnableReplicaTrig, AT.AT_DisableTrig}


@dataclass(frozen=True)
class ObjectKeys:
    defines: frozenset[Key]
    mentions: frozenset[Key]

    def shared_with(self, earlier: ObjectKeys) -> Key | None:
        """An object that makes this statement depend on ``earlier``, or None when they are independent."""
        shared = (self.defines & (earlier.defines | earlier.mentions)) | (self.mentions & earlier.defines)
        return min(shared) if shared else None


@dataclass
class ViewColumns:
    """The columns each view reads, as keys: what a DROP VIEW frees for a later change of those columns.

    The snapshot knows them for the views that exist before the file (pg_depend); the views the file
    creates are remembered as their CREATE VIEW is keyed (``object_keys`` calls ``remember``), and shadow
    the snapshot's view of the same name from then on. Without a snapshot only the file's own views and
    the columns a query names are known.
    """

    snapshot: SchemaSnapshot | None = None
    created: dict[str, frozenset[Key]] = field(default_factory=dict)

    def read_by(self, view: str) -> frozenset[Key]:
        """The columns ``view`` ('public.v') reads; empty for a relation that is not a known view."""
        if view in self.created:
            return self.created[view]
        tables = self.snapshot.tables.values() if self.snapshot else ()
        return frozenset(
            key
            for table in tables
            for column in table.view_columns.get(view, ())
            for key in _in_table("column", table.name, column)
        )

    def columns_of(self, table: str) -> list[str]:
        """Every column of ``table`` the snapshot lists: what ``SELECT *`` reads of it."""
        info = self.snapshot.table(table) if self.snapshot else None
        return list(info.columns) if info else []

    def remember(self, view: str, reads: frozenset[Key]) -> None:
        self.created[view] = reads


def object_keys(node: ast.Node, views: ViewColumns | None = None) -> ObjectKeys:
    """The objects ``node`` defines and mentions (see the module docstring).

    ``views`` says which columns existing views read (and learns those of a view ``node`` creates);
    without it a view's columns are only those its query names.

    A DO block has the keys of the statements in its body, as if they were written out: no statement
    about an object they define moves past it (a body zdt cannot read has no keys; the planner refuses
    it anyway)."""
    views = views if views is not None else ViewColumns()
    if isinstance(node, ast.DoStmt):
        return _do_block_keys(node, views)
    defines = set(_defined(node))
    mentions = _Mentions(_primary_relation(node))
    mentions(node)
    found = mentions.found | _view_reads(node, views)
    return ObjectKeys(frozenset(defines), frozenset(found - defines))


def _do_block_keys(node: ast.DoStmt, views: ViewColumns) -> ObjectKeys:
    try:
        body = read_do_block(node)
    except PlpgsqlError:
        return ObjectKeys(frozenset(), frozenset())
    defines: set[Key] = set()
    mentions: set[Key] = set()
    for item in body.embedded:
        keys = object_keys(item.node, views)
        defines |= keys.defines
        mentions |= keys.mentions
    return ObjectKeys(frozenset(defines), frozenset(mentions - defines))


def _view_reads(node: ast.Node, views: ViewColumns) -> set[Key]:
    """The columns a view statement depends on: those the view it drops read, or those the view it
    creates reads (remembered in ``views`` for a later DROP of it)."""
    if isinstance(node, ast.DropStmt) and node.removeType in RELATION_KINDS:
        return {
            key
            for item in node.objects or ()
            if isinstance(item, tuple)
            for key in views.read_by(names.of_name_list(item))
        }
    created = _created_view(node)
    if created is None:
        return set()
    view, query = created
    reads = _query_columns(query, views)
    views.remember(view, frozenset(reads))
    return reads


def _created_view(node: ast.Node) -> tuple[str, ast.Node] | None:
    """The view (or materialized view) ``node`` creates, with its query; None for any other statement."""
    if isinstance(node, ast.ViewStmt) and node.view is not None and node.query is not None:
        return names.of_range_var(node.view), node.query
    if not isinstance(node, ast.CreateTableAsStmt) or node.objtype != ObjectType.OBJECT_MATVIEW:
        return None
    if node.into is not None and node.into.rel is not None and node.query is not None:
        return names.of_range_var(node.into.rel), node.query
    return None


def _query_columns(query: ast.Node, views: ViewColumns) -> set[Key]:
    """The columns a view's query reads, over-counted rather than missed: every column name it names,
    as a column of every table it reads (aliases and joins are not resolved), and with ``*`` every
    column the snapshot lists for those tables."""
    reader = _QueryColumns()
    reader(query)
    found: set[Key] = set()
    for table in reader.tables:
        columns = reader.columns | (set(views.columns_of(table)) if reader.star else set())
        for column in columns:
            found.update(_in_table("column", table, column))
    return found


def describe(key: Key) -> str:
    kind, name = key
    return f"{kind} {name}"


def _relation(range_var: ast.RangeVar) -> Key:
    return ("relation", names.of_range_var(range_var))


def _in_table(kind: str, table: str, name: str | None) -> list[Key]:
    """The key of an object named within a table (a column, constraint, trigger): 'public.t.c'."""
    return [(kind, f"{table}.{maybe_double_quote_name(name)}")] if name else []


def _qualified(parts: tuple[ast.Node, ...] | list[ast.Node] | None) -> str:
    strings = [part.sval for part in parts or () if isinstance(part, ast.String) and part.sval]
    if not strings:
        return ""
    return names.qualified(strings[-2] if len(strings) > 1 else None, strings[-1])


def _primary_relation(node: ast.Node) -> str | None:
    """The one table a statement works on, to which its unqualified column references belong."""
    relation = getattr(node, "relation", None)
    if isinstance(relation, ast.RangeVar):
        return names.of_range_var(relation)
    return None


def _defined(node: ast.Node) -> list[Key]:
    if isinstance(node, ast.CreateStmt) and node.relation is not None:
        table = names.of_range_var(node.relation)
        keys: list[Key] = [("relation", table)]
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                keys += _in_table("column", table, element.colname)
            elif isinstance(element, ast.Constraint):
                keys += _in_table("constraint", table, element.conname)
        return keys
    if isinstance(node, ast.CreateTableAsStmt) and node.into is not None and node.into.rel is not None:
        return [_relation(node.into.rel)]
    if isinstance(node, ast.IndexStmt) and node.relation is not None and node.idxname:
        return [("relation", names.qualified(node.relation.schemaname, node.idxname))]
    if isinstance(node, ast.ViewStmt) and node.view is not None:
        return [_relation(node.view)]
    if isinstance(node, ast.CreateSeqStmt | ast.AlterSeqStmt) and node.sequence is not None:
        return [_relation(node.sequence)]
    if isinstance(node, ast.DropStmt):
        return _dropped(node)
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        return _altered(names.of_range_var(node.relation), node)
    if isinstance(node, ast.RenameStmt):
        return _renamed(node)
    if isinstance(node, ast.CreateEnumStmt | ast.AlterEnumStmt):
        return [("type", _qualified(node.typeName))]
    if isinstance(node, ast.CreateDomainStmt):
        return [("type", _qualified(node.domainname))]
    if isinstance(node, ast.AlterDomainStmt):
        return [("type", _qualified(node.typeName))]
    if isinstance(node, ast.CompositeTypeStmt) and node.typevar is not None:
        return [("type", names.of_range_var(node.typevar))]
    if isinstance(node, ast.CreateFunctionStmt):
        return [("function", _qualified(node.funcname))]
    if isinstance(node, ast.CreateTrigStmt) and node.relation is not None:
        return _in_table("trigger", names.of_range_var(node.relation), node.trigname)
    return []


def _dropped(node: ast.DropStmt) -> list[Key]:
    keys: list[Key] = []
    for item in node.objects or ():
        if node.removeType in RELATION_KINDS and isinstance(item, tuple):
            keys.append(("relation", names.of_name_list(item)))
        elif node.removeType in TYPE_KINDS and isinstance(item, ast.TypeName):
            keys.append(("type", _qualified(item.names)))
        elif node.removeType in FUNCTION_KINDS and isinstance(item, ast.ObjectWithArgs):
            keys.append(("function", _qualified(item.objname)))
        elif node.removeType == ObjectType.OBJECT_TRIGGER and isinstance(item, tuple) and len(item) > 1:
            keys += _in_table("trigger", names.of_name_list(item[:-1]), item[-1].sval)
        elif isinstance(item, tuple) and node.removeType is not None:
            keys.append((node.removeType.name.removeprefix("OBJECT_").lower(), _qualified(item)))
    return keys


def _altered(table: str, node: ast.AlterTableStmt) -> list[Key]:
    keys: list[Key] = []
    for command in node.cmds or ():
        if not isinstance(command, ast.AlterTableCmd):
            continue
        if command.subtype in CONSTRAINT_COMMANDS:
            constraint = command.def_ if isinstance(command.def_, ast.Constraint) else None
            name = constraint.conname if constraint is not None else command.name
            if not name and constraint is not None and constraint.contype == ConstrType.CONSTR_PRIMARY:
                relname = node.relation.relname if node.relation is not None else None
                name = names.stored_name(f"{relname}_pkey") if relname else None  # PostgreSQL's own name
            keys += _in_table("constraint", table, name)
            if name:  # a UNIQUE / PRIMARY KEY constraint's index shares its name, in the table's schema
                keys.append(("relation", f"{table.rsplit('.', 1)[0]}.{maybe_double_quote_name(name)}"))
        elif command.subtype in TRIGGER_COMMANDS:
            keys += _in_table("trigger", table, command.name)
        elif command.subtype == AT.AT_AddColumn and isinstance(command.def_, ast.ColumnDef):
            keys += _in_table("column", table, command.def_.colname)
        elif command.name:
            keys += _in_table("column", table, command.name)
        else:
            keys.append(("relation", table))  # SET LOGGED, OWNER TO, ...: the table itself
    return keys


def _renamed(node: ast.RenameStmt) -> list[Key]:
    if node.relation is not None:
        table = names.of_range_var(node.relation)
        if node.renameType == ObjectType.OBJECT_COLUMN:
            return _in_table("column", table, node.subname) + _in_table("column", table, node.newname)
        if node.renameType == ObjectType.OBJECT_TABCONSTRAINT:
            return _in_table("constraint", table, node.subname) + _in_table("constraint", table, node.newname)
        if node.renameType == ObjectType.OBJECT_TRIGGER:
            return _in_table("trigger", table, node.subname) + _in_table("trigger", table, node.newname)
        renamed = names.qualified(node.relation.schemaname, node.newname or "")
        return [("relation", table), ("relation", renamed)]
    if node.renameType in TYPE_KINDS and isinstance(node.object, tuple):
        old = _qualified(node.object)
        return [("type", old), ("type", names.qualified(old.split(".", 1)[0], node.newname or ""))]
    return []


class _Mentions(Visitor):
    """Relations, columns, types and functions a statement uses."""

    def __init__(self, table: str | None) -> None:
        super().__init__()
        self.table = table
        self.found: set[Key] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.found.add(_relation(node))

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        last = node.fields[-1] if node.fields else None
        if self.table and len(node.fields or ()) == 1 and isinstance(last, ast.String):
            self.found.update(_in_table("column", self.table, last.sval))

    def visit_IndexElem(self, ancestors: object, node: ast.IndexElem) -> None:
        if self.table:
            self.found.update(_in_table("column", self.table, node.name))

    def visit_TypeName(self, ancestors: object, node: ast.TypeName) -> None:
        parts = [part.sval for part in node.names or () if isinstance(part, ast.String)]
        if parts and parts[0] != "pg_catalog":
            self.found.add(("type", _qualified(node.names)))

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        self.found.add(("function", _qualified(node.funcname)))

    def visit_CreateTrigStmt(self, ancestors: object, node: ast.CreateTrigStmt) -> None:
        self.found.add(("function", _qualified(node.funcname)))  # EXECUTE FUNCTION f()


class _QueryColumns(Visitor):
    """The tables a query reads, the column names it uses, and whether it selects ``*`` of any."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: set[str] = set()
        self.columns: set[str] = set()
        self.star = False

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.tables.add(names.of_range_var(node))

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        last = node.fields[-1] if node.fields else None
        if isinstance(last, ast.A_Star):
            self.star = True
        elif isinstance(last, ast.String) and last.sval:
            self.columns.add(last.sval)
