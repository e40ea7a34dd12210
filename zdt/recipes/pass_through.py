"""Statements that are already safe run as written, each still under lock_timeout, verified and reversible.

CREATE TABLE / VIEW / SEQUENCE / TYPE (enum or composite) / SCHEMA, any ALTER TABLE of a table the
same plan creates, ANALYZE, a SELECT that calls nothing volatile, a nullable ADD COLUMN (or one with a
non-volatile default on PostgreSQL 11+), SET/DROP DEFAULT, constraints added NOT VALID, VALIDATE
CONSTRAINT, enum labels, and indexes on tables created by the same plan (comments, grants, extensions,
triggers, materialized views and data changes have recipes of their own). A statement zdt cannot verify
or undo is refused with a clear error rather than run blind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType

from zdt.analysis import names, types
from zdt.analysis.fields import node_of, required
from zdt.analysis.locks import LockMode
from zdt.analysis.volatility import called_functions, is_volatile
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    literal,
    render,
    split_name,
)
from zdt.recipes.errors import PlanningError


@dataclass(frozen=True)
class _Shape:
    description: str
    verify: Verification
    rollback: Rollback
    phase: Phase = Phase.EXPAND


# Each handler takes the node class it is registered under in _HANDLERS.
_Handler = Callable[[Any, PlanningContext], _Shape]


class PassThrough(Recipe):
    id = "pass-through"
    summary = "Run an already-safe statement as written, under lock_timeout, verified, with its rollback."
    priority = 1000
    examples = (
        RecipeExample(
            title="a nullable column and a new table",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                ALTER TABLE posts ADD COLUMN subtitle text;
                CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
            """,
            plan="""
                expand   s01-alter-table
                    ALTER TABLE posts ADD COLUMN subtitle text
                expand   s02-create
                    CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "INSERT INTO posts (id, title, subtitle) VALUES (12001, 'new', 'its subtitle')",
                "INSERT INTO tags (id, name) VALUES (1, 'news')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return True

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node
        handler = _handler_for(node)
        if handler is None:
            raise PlanningError(
                f"line {context.statement.line}: zdt has no recipe for {context.statement.kind} "
                f"({_short(context.statement.sql)}): it could neither verify nor roll it back; write the "
                "change with statements zdt plans (docs/recipes.md lists them), or run this one by hand "
                "outside the migration, reviewed, and keep it out of the file"
            )
        shape = handler(node, context)
        report = context.report
        # The strongest lock on any relation, not only the target's: a new table's foreign key locks the
        # referenced table, which is the one the application is using.
        lock = LockMode.strongest([taken.mode for taken in report.locks]) or report.lock
        duration = LockDuration.BRIEF if lock else LockDuration.NONE
        if report.rewrites_table:
            duration = LockDuration.REWRITE
        elif report.scans_table and (report.blocks_writes or report.blocks_reads):
            duration = LockDuration.SCAN
        return [
            context.step(
                _slug(context.statement.kind),
                phase=shape.phase,
                description=shape.description,
                sql=[context.statement.sql],
                transactional=report.transactional,
                verify=shape.verify,
                rollback=shape.rollback,
                lock=lock,
                lock_duration=duration,
                tables=list(report.tables),
                recipe=self.id,
            )
        ]


def _short(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) < 70 else flat[:69] + "…"


def _slug(kind: str) -> str:
    out: list[str] = []
    for char in kind.removesuffix("Stmt"):
        if char.isupper() and out:
            out.append("-")
        out.append(char.lower())
    return "".join(out)


def _create_table(node: ast.CreateStmt, context: PlanningContext) -> _Shape:
    table = names.of_range_var(required(node.relation, "CreateStmt.relation"))
    return _Shape(
        f"create table {table}",
        Verification(sql=checks.relation_exists(table), description=f"{table} exists"),
        Rollback(sql=[render("DROP TABLE IF EXISTS {t}", t=ident(table))]),
    )


def _create_view(node: ast.ViewStmt, context: PlanningContext) -> _Shape:
    """A new view; replacing an existing one is the views recipe's (zdt/recipes/views.py)."""
    view = names.of_range_var(required(node.view, "ViewStmt.view"))
    return _Shape(
        f"create view {view}",
        Verification(sql=checks.relation_exists(view), description=f"{view} exists"),
        Rollback(sql=[render("DROP VIEW IF EXISTS {v}", v=ident(view))]),
    )


def _create_sequence(node: ast.CreateSeqStmt, context: PlanningContext) -> _Shape:
    sequence = names.of_range_var(required(node.sequence, "CreateSeqStmt.sequence"))
    return _Shape(
        f"create sequence {sequence}",
        Verification(sql=checks.relation_exists(sequence), description=f"{sequence} exists"),
        Rollback(sql=[render("DROP SEQUENCE IF EXISTS {s}", s=ident(sequence))]),
    )


def _create_index_on_new_table(node: ast.IndexStmt, context: PlanningContext) -> _Shape:
    if not node.idxname:
        raise PlanningError("give every index a name, so that it can be verified and rolled back")
    relation = required(node.relation, "IndexStmt.relation")
    index = names.qualified(relation.schemaname, node.idxname)
    drop = render("DROP INDEX IF EXISTS {i}", i=ident(index))
    return _Shape(
        f"create index {index} on new table {names.of_range_var(relation)}",
        Verification(sql=checks.index_valid(index), description=f"{index} is valid"),
        Rollback(sql=[drop]),
    )


def _create_enum(node: ast.CreateEnumStmt, context: PlanningContext) -> _Shape:
    type_name = names.of_name_list(required(node.typeName, "CreateEnumStmt.typeName"))
    return _Shape(
        f"create enum type {type_name}",
        Verification(sql=checks.type_exists(type_name), description=f"type {type_name} exists"),
        Rollback(sql=[render("DROP TYPE IF EXISTS {t}", t=ident(type_name))]),
    )


def _alter_enum(node: ast.AlterEnumStmt, context: PlanningContext) -> _Shape:
    type_name = names.of_name_list(required(node.typeName, "AlterEnumStmt.typeName"))
    new_value = required(node.newVal, "AlterEnumStmt.newVal")
    if node.oldVal:
        return _Shape(
            f"rename enum label {node.oldVal} of {type_name} to {node.newVal}",
            Verification(sql=checks.enum_label_exists(type_name, new_value)),
            Rollback(
                sql=[
                    render(
                        "ALTER TYPE {t} RENAME VALUE {new} TO {old}",
                        t=ident(type_name),
                        new=literal(node.newVal),
                        old=literal(node.oldVal),
                    )
                ]
            ),
        )
    return _Shape(
        f"add label {node.newVal} to enum {type_name}",
        Verification(sql=checks.enum_label_exists(type_name, new_value)),
        Rollback(not_needed="PostgreSQL cannot drop an enum label; an unused label is harmless"),
    )


def _alter_table(node: ast.AlterTableStmt, context: PlanningContext) -> _Shape:
    commands = list(node.cmds or ())
    if len(commands) != 1:
        raise PlanningError("the planner splits ALTER TABLE into one sub-command per step")
    command = commands[0]
    table = names.of_range_var(required(node.relation, "AlterTableStmt.relation"))
    handler = _ALTER_HANDLERS.get(command.subtype)
    if handler is None and not context.is_existing(table):
        return _alter_new_table(command, table)
    if handler is None:
        raise PlanningError(
            f"line {context.statement.line}: zdt has no recipe for ALTER TABLE {table} "
            f"{command.subtype.name.removeprefix('AT_')}"
        )
    return handler(command, table, context)


def _alter_new_table(command: ast.AlterTableCmd, table: str) -> _Shape:
    """Any change to a table this plan creates: no application has it yet, and its rows are the plan's
    own, so it runs as written; undoing the CREATE TABLE undoes it too. A DROP COLUMN still goes to
    contract, where the SQL policy puts every destructive statement."""
    subtype = required(command.subtype, "AlterTableCmd.subtype")
    what = subtype.name.removeprefix("AT_")
    return _Shape(
        f"{what} on {table}, created by this plan",
        Verification(sql=checks.relation_exists(table), description=f"{table} exists"),
        Rollback(not_needed=f"{table} is created by this plan: undoing its CREATE TABLE undoes this too"),
        phase=Phase.CONTRACT if subtype is AT.AT_DropColumn else Phase.EXPAND,
    )


_RELATION_RENAMES = {
    ObjectType.OBJECT_TABLE: "TABLE",
    ObjectType.OBJECT_INDEX: "INDEX",
    ObjectType.OBJECT_SEQUENCE: "SEQUENCE",
    ObjectType.OBJECT_VIEW: "VIEW",
}


def _rename_in_new_table(node: ast.RenameStmt, context: PlanningContext) -> _Shape:
    """A rename of a relation this plan creates, or of a column, constraint or trigger of a table it
    creates: no application knows the name yet. A relation is renamed back by its rollback (the CREATE's
    own rollback drops it by its first name); what lives inside a new table goes with the table.

    Of live objects, only indexes and constraints: queries never name an index, and PostgreSQL renames
    one under ShareUpdateExclusiveLock, which no read or write waits for (AccessExclusiveLock before
    12); a constraint is named only by ``ON CONFLICT ON CONSTRAINT``, and its rename is brief."""
    relation = node.relation
    target = names.of_range_var(relation) if relation is not None else None
    kind = required(node.renameType, "RenameStmt.renameType")
    existing = context.is_existing(target)
    if existing and node.renameType == ObjectType.OBJECT_TABCONSTRAINT and target is not None:
        return _rename_constraint(node, target)
    if relation is None or target is None or (existing and node.renameType != ObjectType.OBJECT_INDEX):
        what = kind.name.removeprefix("OBJECT_").lower().replace("_", " ")
        raise PlanningError(
            f"line {context.statement.line}: zdt has no recipe for renaming the existing {what} "
            f"{target} ({_short(context.statement.sql)}): running code that names it would fail; keep the "
            "old name, or add the new object beside the old one and drop the old one in a later migration"
        )
    keyword = _RELATION_RENAMES.get(kind)
    if keyword is None:
        return _Shape(
            f"rename in {target}, created by this plan",
            Verification(sql=checks.relation_exists(target), description=f"{target} exists"),
            Rollback(not_needed=f"{target} is created by this plan: undoing its CREATE undoes this too"),
        )
    renamed = names.qualified(relation.schemaname, required(node.newname, "RenameStmt.newname"))
    # IF EXISTS of something that is not there changes nothing: the check and the undo allow for that.
    if_exists = " IF EXISTS" if node.missing_ok else ""
    back = render(
        f"ALTER {keyword}{if_exists} {{r}} RENAME TO {{o}}",
        r=ident(renamed),
        o=column(required(relation.relname, "RangeVar.relname")),
    )
    verify = checks.relation_exists(renamed)
    described = f"{renamed} exists"
    if node.missing_ok:
        verify = render(
            "SELECT to_regclass({new}) IS NOT NULL OR to_regclass({old}) IS NULL",
            new=literal(renamed),
            old=literal(target),
        )
        described = f"{renamed} exists, or {target} never did (IF EXISTS)"
    origin = "(queries never name an index)" if existing else "created by this plan,"
    return _Shape(
        f"rename {keyword.lower()} {target} {origin} to {renamed}",
        Verification(sql=verify, description=described),
        Rollback(sql=[back]),
    )


def _rename_constraint(node: ast.RenameStmt, table: str) -> _Shape:
    """A constraint of a live table under another name (see ``_rename_in_new_table``)."""
    old = required(node.subname, "RenameStmt.subname")
    new = required(node.newname, "RenameStmt.newname")
    back = render(
        "ALTER TABLE {t} RENAME CONSTRAINT {n} TO {o}", t=ident(table), n=column(new), o=column(old)
    )
    return _Shape(
        f"rename constraint {old} of {table} to {new} (only ON CONFLICT ON CONSTRAINT names one)",
        Verification(sql=checks.constraint_exists(table, new), description=f"{new} exists on {table}"),
        Rollback(sql=[back]),
    )


def _create_composite_type(node: ast.CompositeTypeStmt, context: PlanningContext) -> _Shape:
    type_name = names.of_range_var(required(node.typevar, "CompositeTypeStmt.typevar"))
    return _Shape(
        f"create composite type {type_name}",
        Verification(sql=checks.type_exists(type_name), description=f"type {type_name} exists"),
        Rollback(sql=[render("DROP TYPE IF EXISTS {t}", t=ident(type_name))]),
    )


def _create_schema(node: ast.CreateSchemaStmt, context: PlanningContext) -> _Shape:
    """A new, empty schema. With IF NOT EXISTS or elements inside it, undoing it could drop a schema the
    plan did not create, or objects it cannot name one by one: refused."""
    name = required(node.schemaname, "CreateSchemaStmt.schemaname")
    if node.if_not_exists or node.schemaElts or node.authrole:
        raise PlanningError(
            f"line {context.statement.line}: CREATE SCHEMA {name} with IF NOT EXISTS, AUTHORIZATION or "
            "objects inside it cannot be undone safely: create the schema plainly, then each object in "
            "its own statement"
        )
    return _Shape(
        f"create schema {name}",
        Verification(
            sql=render("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {n})", n=literal(name)),
            description=f"schema {name} exists",
        ),
        Rollback(sql=[render("DROP SCHEMA {n}", n=column(name))]),  # fails, rightly, if not empty
    )


def _analyze(node: ast.VacuumStmt, context: PlanningContext) -> _Shape:
    """ANALYZE (not VACUUM): statistics only, under ShareUpdateExclusiveLock, which no query waits for."""
    if node.is_vacuumcmd:
        raise PlanningError(
            f"line {context.statement.line}: zdt has no recipe for VACUUM in a migration: run it outside "
            "the migration (autovacuum does it), or use ANALYZE for the statistics"
        )
    return _Shape(
        "refresh planner statistics (ANALYZE)",
        Verification(sql="SELECT true", description="statistics only: nothing to verify"),
        Rollback(not_needed="statistics only: the schema and the rows are untouched"),
    )


def _pure_select(node: ast.SelectStmt, context: PlanningContext) -> _Shape:
    """A SELECT that calls nothing volatile (``SELECT 1``, a lookup a tool leaves in a file) changes
    nothing; one that does (``setval``, ``pg_advisory_lock``, a function of the application's) may, and
    zdt could neither verify nor undo it."""
    volatility = context.snapshot.function_volatility if context.snapshot else None
    if is_volatile(node, volatility):
        raise PlanningError(
            f"line {context.statement.line}: this SELECT calls a volatile function "
            f"({', '.join(called_functions(node)) or 'unknown'}), which may change data zdt can neither "
            "verify nor roll back: write the change it makes as its own statement (UPDATE, setval in a "
            "DO block with a comment) or run it outside the migration"
        )
    return _Shape(
        "a SELECT that changes nothing (kept so the plan runs what the file runs)",
        Verification(sql="SELECT true", description="read-only: nothing to verify"),
        Rollback(not_needed="read-only: nothing to undo"),
    )


def _add_column(command: ast.AlterTableCmd, table: str, context: PlanningContext) -> _Shape:
    name = required(node_of(command.def_, ast.ColumnDef, "ADD COLUMN's def_").colname, "ColumnDef.colname")
    return _Shape(
        f"add column {name} to {table}",
        Verification(sql=checks.column_exists(table, name), description=f"{table}.{name} exists"),
        Rollback(sql=[render("ALTER TABLE {t} DROP COLUMN IF EXISTS {c}", t=ident(table), c=column(name))]),
    )


def _column_default(command: ast.AlterTableCmd, table: str, context: PlanningContext) -> _Shape:
    name = required(command.name, "SET/DROP DEFAULT's AlterTableCmd.name")
    info = context.snapshot.table(table) if context.snapshot else None
    previous = info.columns[name].default if info and name in info.columns else None
    if previous:
        undo = render(
            "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT " + previous, t=ident(table), c=column(name)
        )
    else:
        undo = render("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT", t=ident(table), c=column(name))
    setting = command.def_ is not None
    return _Shape(
        f"{'set' if setting else 'drop'} the default of {table}.{name}",
        Verification(sql=checks.column_has_default(table, name, setting)),
        Rollback(sql=[undo]),
    )


def _add_constraint_not_valid(command: ast.AlterTableCmd, table: str, context: PlanningContext) -> _Shape:
    constraint = node_of(command.def_, ast.Constraint, "ADD CONSTRAINT's AlterTableCmd.def_")
    if (
        constraint.contype not in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_FOREIGN)
        or not constraint.conname
    ):
        raise PlanningError(
            f"ALTER TABLE {table} ADD CONSTRAINT: name the constraint so it can be rolled back"
        )
    drop = render(
        "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {c}", t=ident(table), c=column(constraint.conname)
    )
    return _Shape(
        f"add constraint {constraint.conname} on {table}",
        Verification(sql=checks.constraint_exists(table, constraint.conname)),
        Rollback(sql=[drop]),
    )


def _validate_constraint(command: ast.AlterTableCmd, table: str, context: PlanningContext) -> _Shape:
    name = required(command.name, "VALIDATE CONSTRAINT's AlterTableCmd.name")
    return _Shape(
        f"validate constraint {name} on {table}",
        Verification(sql=checks.constraint_exists(table, name, validated=True)),
        Rollback(not_needed="validation only marks an already enforced constraint as valid"),
        phase=Phase.MIGRATE,
    )


def _binary_coercible_type_change(command: ast.AlterTableCmd, table: str, context: PlanningContext) -> _Shape:
    """A type change the analyser proved metadata-only (e.g. varchar(50) -> varchar(100) or text)."""
    if context.report.rewrites_table:
        raise PlanningError(f"ALTER COLUMN TYPE on {table} rewrites the table: it needs its own recipe")
    name = required(command.name, "ALTER COLUMN TYPE's AlterTableCmd.name")
    info = context.snapshot.table(table) if context.snapshot else None
    if info is None or name not in info.columns:
        raise PlanningError(
            f"line {context.statement.line}: the current type of {table}.{name} is unknown: plan with "
            "--database-url so the change can be verified and rolled back"
        )
    old_type = info.columns[name].type  # format_type() output: valid type syntax, from the catalog
    definition = node_of(command.def_, ast.ColumnDef, "ALTER COLUMN TYPE's AlterTableCmd.def_")
    new_type = str(types.from_type_name(required(definition.typeName, "ColumnDef.typeName")))
    return _Shape(
        f"change {table}.{name} from {old_type} to {new_type} (binary-coercible: no rewrite)",
        Verification(sql=checks.column_type_is(table, name, new_type), description=f"{name} is {new_type}"),
        Rollback(
            sql=[render("ALTER TABLE {t} ALTER COLUMN {c} TYPE " + old_type, t=ident(table), c=column(name))]
        ),
    )


_ALTER_HANDLERS: dict[AT, Callable[[ast.AlterTableCmd, str, PlanningContext], _Shape]] = {
    AT.AT_AlterColumnType: _binary_coercible_type_change,
    AT.AT_AddColumn: _add_column,
    AT.AT_ColumnDefault: _column_default,
    AT.AT_AddConstraint: _add_constraint_not_valid,
    AT.AT_ValidateConstraint: _validate_constraint,
}

_HANDLERS: dict[type[ast.Node], _Handler] = {
    ast.CreateStmt: _create_table,
    ast.ViewStmt: _create_view,
    ast.CreateSeqStmt: _create_sequence,
    ast.IndexStmt: _create_index_on_new_table,
    ast.CreateEnumStmt: _create_enum,
    ast.AlterEnumStmt: _alter_enum,
    ast.AlterTableStmt: _alter_table,
    ast.CompositeTypeStmt: _create_composite_type,
    ast.CreateSchemaStmt: _create_schema,
    ast.VacuumStmt: _analyze,
    ast.SelectStmt: _pure_select,
    ast.RenameStmt: _rename_in_new_table,
}


def _handler_for(node: ast.Node) -> _Handler | None:
    if isinstance(node, ast.AlterTableStmt) and node.objtype != ObjectType.OBJECT_TABLE:
        return None
    return _HANDLERS.get(type(node))


__all__ = ["PassThrough", "PlanningError", "split_name"]
