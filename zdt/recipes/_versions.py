"""Version schemas for the two releases (the pgroll approach): each release reads and writes through views.

Without them, a column rename or type change makes the new release use the physical new column by its
temporary name (``views_zdt_new``) until contract, and the old release sees the extra columns. With them,
the plan adds two steps around the recipes' own:

expand (last):     CREATE SCHEMA <schema>_<version> with one view per changed table that presents it as the
                   file leaves it (new names, new types, dropped columns gone), and <schema>_<version>_old
                   with one that presents it as it was. Each view reads one table and names columns only,
                   so PostgreSQL makes it updatable: INSERT, UPDATE, DELETE and RETURNING pass through,
                   with the table's defaults, identity and sequences, and the sync triggers convert what one
                   release writes for the other. ``security_invoker`` (PostgreSQL 15+) applies the
                   caller's privileges and row-level security. The new release runs with
                   ``search_path = <schema>_<version>, <schema>`` (unchanged tables resolve to the base
                   schema), from the deploy gate on.
rollback:          drop both schemas' views and the schemas.
contract (first):  drop the old release's schema, whose views read the columns contract drops.
rollback:          create it again.

A type change then ends as the file does: at contract ``<col>_zdt_new`` takes the name ``<col>`` (the
new release's view follows the column by number, so neither its columns nor their types change and its
prepared statements go on working). The new release's schema stays after contract: that release keeps
its search_path until a later plan gives the next one its own version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, parser
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.locks import LockMode
from zdt.analysis.names import derived_name
from zdt.plan.model import (
    LockDuration,
    Phase,
    ReleaseVersions,
    Rollback,
    Step,
    Verification,
    VersionedTable,
)
from zdt.recipes import _checks as check
from zdt.recipes.base import column, ident, literal, render, split_name
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import SchemaSnapshot

_SECURITY_INVOKER_FROM = 15
CREATE_STEP = "versions-create"
DROP_OLD_STEP = "versions-drop-old"


@dataclass
class _Shape:
    """One table as the old release sees it and as the new one will."""

    old: list[str]
    new: list[tuple[str, str]]  # (presented name, physical column)
    changed: bool = False


@dataclass
class VersionShapes:
    """The tables a plan changes in a way one release would notice, learnt statement by statement."""

    snapshot: SchemaSnapshot | None
    tables: dict[str, _Shape] = field(default_factory=dict)
    retypes: int = 0  # type changes: what makes version schemas the default

    def record(self, node: ast.Node, steps: list[Step]) -> None:
        """What ``node`` (planned as ``steps``) changes in the new release's view of a live table."""
        recipes = {step.recipe for step in steps}
        if isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN:
            if node.relation is not None and "rename-column" in recipes and node.subname and node.newname:
                self._present(names.of_range_var(node.relation), node.subname, node.newname, node.newname)
            return
        if not isinstance(node, ast.AlterTableStmt) or node.relation is None or len(node.cmds or ()) != 1:
            return
        table = names.of_range_var(node.relation)
        command = (node.cmds or ())[0]
        if not isinstance(command, ast.AlterTableCmd) or not command.name:
            return
        if command.subtype == AT.AT_AlterColumnType and "change-column-type" in recipes:
            from zdt.recipes.change_column_type import new_column_name  # a recipe module: imported late

            self._present(table, command.name, command.name, new_column_name(command.name))
            self.retypes += 1
        elif command.subtype == AT.AT_DropColumn and "drop-column" in recipes:
            shape = self._shape(table)
            if shape is not None:
                shape.new = [(shown, physical) for shown, physical in shape.new if shown != command.name]
                shape.changed = True
        elif command.subtype == AT.AT_AddColumn:
            shape = self._shape(table)
            definition = command.def_
            added = definition.colname if isinstance(definition, ast.ColumnDef) else None
            if shape is not None and added and all(shown != added for shown, _ in shape.new):
                shape.new.append((added, added))

    def _shape(self, table: str) -> _Shape | None:
        if table not in self.tables:
            info = self.snapshot.table(table) if self.snapshot else None
            if info is None:
                return None  # created by the plan: no release uses it yet, nothing to present
            columns = list(info.columns)
            self.tables[table] = _Shape(old=columns, new=[(name, name) for name in columns])
        return self.tables[table]

    def _present(self, table: str, shown_before: str, shown_after: str, physical: str) -> None:
        shape = self._shape(table)
        if shape is None:
            return
        shape.new = [
            (shown_after, physical) if shown == shown_before else (shown, current)
            for shown, current in shape.new
        ]
        shape.changed = True

    def wanted(self, setting: bool | None) -> bool:
        """Whether the plan gets version schemas: as set, or by default when it changes a column's type.

        Why only then by default: without them the new release of a type change must use the temporary
        ``<col>_zdt_new`` until contract, and pg_stat_statements cannot tell the releases apart anyway
        (both name ``<col>``). A rename alone gains little (the new release already uses the new name on
        the table) and would lose that evidence: through version schemas both releases query tables of
        the same name, which PostgreSQL 18's pg_stat_statements counts as one statement. Ask for them
        (``--versioned-schemas``) to hide the old columns from the new release's ``SELECT *`` anyway.
        """
        if setting is None:
            return self.retypes > 0
        return setting and any(shape.changed for shape in self.tables.values())


def add_versions(
    steps: list[Step], shapes: VersionShapes, *, version: str, pg_version: int
) -> tuple[list[Step], ReleaseVersions]:
    """``steps`` (ordered by phase) with the version schemas' steps, and what each release must use."""
    changed = {table: shape for table, shape in shapes.tables.items() if shape.changed}
    versions = _versions(changed, version)
    options = " WITH (security_invoker = true)" if pg_version >= _SECURITY_INVOKER_FROM else ""
    create_new = _schema_with_views(versions, versions.new_schemas, options, final=False)
    create_old = _schema_with_views(versions, versions.old_schemas, options, final=False)
    drop_new, drop_old = _drop(versions, versions.new_schemas), _drop(versions, versions.old_schemas)
    tables = sorted(changed)
    create = Step(
        id=CREATE_STEP,
        phase=Phase.EXPAND,
        description=(
            f"version schemas: {', '.join(versions.new_schemas)} presents {', '.join(tables)} as the new "
            f"release uses them (search_path = {versions.new_search_path}, from the deploy gate on); "
            f"{', '.join(versions.old_schemas)} as the old release knows them. Views only: no row is touched"
        ),
        sql=create_new + create_old,
        verify=Verification(
            sql=_views_exist(versions), description="every view of both version schemas exists"
        ),
        rollback=Rollback(sql=drop_new + drop_old),
        lock=LockMode.ACCESS_SHARE,
        lock_duration=LockDuration.BRIEF,
        tables=tables,
        recipe="versioned-schemas",
        end_state_sql=_schema_with_views(versions, versions.new_schemas, options, final=True),
    )
    drop = Step(
        id=DROP_OLD_STEP,
        phase=Phase.CONTRACT,
        description=(
            f"drop the old release's version schema {', '.join(versions.old_schemas)}: its views read the "
            "columns contract drops, and no release uses it any more"
        ),
        sql=drop_old,
        verify=Verification(sql=_schemas_absent(versions.old_schemas), description="the old schema is gone"),
        rollback=Rollback(sql=create_old),
        lock=LockMode.ACCESS_EXCLUSIVE,
        lock_duration=LockDuration.BRIEF,
        tables=tables,
        recipe="versioned-schemas",
    )
    moved = [_rename_at_contract(step) for step in steps]
    last_expand = max((i for i, step in enumerate(moved) if step.phase is Phase.EXPAND), default=-1)
    first_contract = next((i for i, step in enumerate(moved) if step.phase is Phase.CONTRACT), len(moved))
    ordered = [
        *moved[: last_expand + 1],
        create,
        *moved[last_expand + 1 : first_contract],
        drop,
        *moved[first_contract:],
    ]
    return ordered, versions


def version_for(plan_id: str, given: str | None) -> str:
    """The version schemas' suffix: as given (a plain lowercase name), else ``v_`` and the plan id's hash."""
    version = given or "v_" + plan_id.removeprefix("m-")[:8]
    if not version.replace("_", "").isalnum() or version.lower() != version or version[0].isdigit():
        raise PlanningError(
            f"version name {version!r}: use lowercase letters, digits and underscores, starting with a letter"
        )
    return version


def _versions(changed: dict[str, _Shape], version: str) -> ReleaseVersions:
    base = sorted({split_name(table)[0] for table in changed})
    moved = ", ".join(sorted(changed))
    return ReleaseVersions(
        version=version,
        new_schemas=[derived_name(f"{schema}_{version}") for schema in base],
        old_schemas=[derived_name(f"{schema}_{version}_old") for schema in base],
        base_schemas=base,
        tables=[
            VersionedTable(table=table, new_columns=shape.new, old_columns=shape.old)
            for table, shape in sorted(changed.items())
        ],
        why=(
            f"the plan renames or retypes columns of {moved}: through its version schema the new release "
            "uses the new names and types as soon as it is deployed, not temporary column names until "
            "contract, and neither release sees the other's columns"
        ),
    )


def _view(versions: ReleaseVersions, schemas: list[str], table: VersionedTable) -> sql.Identifier:
    """The view presenting ``table`` in one release's version schema (``schemas``: new or old)."""
    base, relname = split_name(table.table)
    return sql.Identifier(schemas[versions.base_schemas.index(base)], relname)


def _schema_with_views(
    versions: ReleaseVersions, schemas: list[str], options: str, *, final: bool
) -> list[str]:
    """CREATE SCHEMA and its views. ``final``: the views as the plain file's end state spells them (each
    new column under its final name), for the equivalence proof."""
    statements = [render("CREATE SCHEMA {s}", s=column(schema)) for schema in schemas]
    new_release = schemas == versions.new_schemas
    for table in versions.tables:
        view = _view(versions, schemas, table)
        if not new_release:
            listed = sql.SQL(", ").join(sql.Identifier(name) for name in table.old_columns)
        elif final:
            listed = sql.SQL(", ").join(sql.Identifier(shown) for shown, _ in table.new_columns)
        else:
            listed = sql.SQL(", ").join(_as(shown, physical) for shown, physical in table.new_columns)
        statements.append(
            sql.SQL("CREATE VIEW {v}" + options + " AS SELECT {c} FROM {t}")
            .format(v=view, c=listed, t=ident(table.table))
            .as_string()
        )
    return statements


def _as(shown: str, physical: str) -> sql.Composable:
    if shown == physical:
        return sql.Identifier(shown)
    return sql.SQL("{p} AS {s}").format(p=sql.Identifier(physical), s=sql.Identifier(shown))


def _drop(versions: ReleaseVersions, schemas: list[str]) -> list[str]:
    views = [render("DROP VIEW IF EXISTS {v}", v=_view(versions, schemas, t)) for t in versions.tables]
    return views + [render("DROP SCHEMA IF EXISTS {s}", s=column(schema)) for schema in schemas]


def _views_exist(versions: ReleaseVersions) -> str:
    checks = [
        sql.SQL("to_regclass({v}) IS NOT NULL").format(v=literal(_view(versions, schemas, t).as_string()))
        for schemas in (versions.new_schemas, versions.old_schemas)
        for t in versions.tables
    ]
    return render("SELECT {all}", all=sql.SQL(" AND ").join(checks))


def _schemas_absent(schemas: list[str]) -> str:
    return render(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ANY({s}))", s=literal(schemas)
    )


def _rename_at_contract(step: Step) -> Step:
    """A type change's contract step, finishing as the file does: ``<col>_zdt_new`` takes the name
    ``<col>`` (the recipe alone keeps the temporary name, which its new release uses directly)."""
    if step.recipe != "change-column-type" or step.phase is not Phase.CONTRACT or not step.end_state_sql:
        return step
    renames: list[str] = []
    checks: list[sql.Composable] = []
    for statement in step.end_state_sql:
        for raw in parser.parse_sql(statement):
            node = raw.stmt
            if not isinstance(node, ast.RenameStmt) or node.relation is None:
                continue
            table = names.of_range_var(node.relation)
            final, temporary = node.subname or "", node.newname or ""
            renames.append(
                render(
                    "-- zdt-ignore: renaming-column -- the new release reads it through its version "
                    "schema's view, which follows the column\n"
                    "ALTER TABLE {t} RENAME COLUMN {tmp} TO {final}",
                    t=ident(table),
                    tmp=column(temporary),
                    final=column(final),
                )
            )
            checks += [
                _condition(check.column_exists(table, final)),
                _condition(check.column_absent(table, temporary)),
            ]
    checks += _dropped_by(step.sql)
    return step.model_copy(
        update={
            "sql": [*step.sql, *renames],
            "end_state_sql": [],
            "verify": Verification(
                sql=render("SELECT {all}", all=sql.SQL(" AND ").join(checks)),
                description="the old column, the trigger and its function are gone; the new column has "
                "the old name and each rebuilt index its old one",
            ),
            "description": step.description
            + "; the new column then takes the old name: the new release reads it through its version "
            "schema's view, whose columns and types do not change",
        }
    )


def _condition(query: str) -> sql.Composable:
    """A verification query of ``_checks`` (one boolean) as a condition to AND with others."""
    return sql.SQL("({})").format(sql.SQL(query))


def _dropped_by(statements: list[str]) -> list[sql.Composable]:
    """What the recipe's contract statements leave, read back from them: the trigger and its function
    gone, each renamed index present under its new name."""
    found: list[sql.Composable] = []
    for statement in statements:
        for raw in parser.parse_sql(statement):
            node = raw.stmt
            if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TRIGGER:
                for item in node.objects or ():
                    *table_parts, trigger = [str(part.sval) for part in item if isinstance(part, ast.String)]
                    schema = table_parts[-2] if len(table_parts) > 1 else None
                    table = names.qualified(schema, table_parts[-1])
                    found.append(
                        sql.SQL(
                            "NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({t}) "
                            "AND tgname = {n})"
                        ).format(t=literal(table), n=literal(trigger))
                    )
            elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_FUNCTION:
                for item in node.objects or ():
                    if isinstance(item, ast.ObjectWithArgs) and item.objname:
                        function = names.of_name_list(item.objname)
                        found.append(
                            sql.SQL("to_regprocedure({f}) IS NULL").format(f=literal(function + "()"))
                        )
            elif (
                isinstance(node, ast.RenameStmt)
                and node.renameType == ObjectType.OBJECT_INDEX
                and node.relation is not None
                and node.newname
            ):
                index = names.qualified(node.relation.schemaname, node.newname)
                found.append(sql.SQL("to_regclass({i}) IS NOT NULL").format(i=literal(index)))
    return found
