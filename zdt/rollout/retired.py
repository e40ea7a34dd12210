"""What a plan's contract phase takes away from the old release: tables, views and columns it removes.

Read from the contract steps' own SQL with the parser (never from the step descriptions), so that what
zdt looks for in the old release's queries is exactly what will disappear: a dropped table or view, a
dropped column, the old name of a renamed table or column. Index and constraint drops are not listed:
no query stops working because of them.
"""

from __future__ import annotations

import hashlib
import json

from pglast import ast, enums, parse_sql
from pydantic import BaseModel

from zdt.analysis import names
from zdt.plan.model import MigrationPlan, Phase

_RELATION_KINDS = {
    enums.ObjectType.OBJECT_TABLE: "table",
    enums.ObjectType.OBJECT_VIEW: "view",
    enums.ObjectType.OBJECT_MATVIEW: "materialized view",
    enums.ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
}


class RetiredObject(BaseModel):
    """A relation, or one column of it, that the old release may read and contract removes."""

    schema_name: str | None = None
    table: str
    column: str | None = None
    kind: str = "table"
    step_id: str
    # A table both releases query by the same name, each through its own version schema: a query's text
    # (or queryid) cannot tell which release sent it, so only the old release's sessions can.
    shared_name: bool = False

    def label(self) -> str:
        qualified = f"{self.schema_name}.{self.table}" if self.schema_name else self.table
        return f"column {qualified}.{self.column}" if self.column else f"{self.kind} {qualified}"


def contract_hash(plan: MigrationPlan) -> str:
    """The hash a contract approval is bound to: the plan's hash and every contract step's SQL.

    Why both: the plan hash already covers the contract steps, but naming them separately in the approval
    lets the approver (and the auditor) see that what was approved days later is exactly what ran.
    """
    steps = [step.model_dump(mode="json", exclude_defaults=True) for step in plan.steps_in(Phase.CONTRACT)]
    text = json.dumps({"plan": plan.content_hash(), "contract": steps}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def retired_objects(plan: MigrationPlan) -> list[RetiredObject]:
    """Everything the contract steps remove that a query could name, in step order, without repeats."""
    found: list[RetiredObject] = []
    statements = [
        (step.id, raw.stmt)
        for step in plan.steps_in(Phase.CONTRACT)
        for text in step.sql
        for raw in parse_sql(text)
    ]
    taken_over = {name for _, statement in statements for name in _renamed_to(statement)}
    presented = _presented_columns(plan)
    for step_id, statement in statements:
        for item in _retired_by(statement, step_id):
            # A view the contract drops to rename a table into its name (rename-table): the name stays.
            replaced = item.column is None and (item.schema_name or "public", item.table) in taken_over
            table = names.qualified(item.schema_name, item.table)
            if item.column in presented.get(table, set()):
                continue  # a column the new release reads only through its view, under another name
            # Through version schemas both releases query tables of the same name; PostgreSQL 18's
            # pg_stat_statements even counts same-shaped queries on same-named relations of different
            # schemas as one statement. Its texts cannot tell the releases apart for these tables.
            old_version = plan.versions is not None and item.schema_name in plan.versions.old_schemas
            if old_version or table in presented:
                item = item.model_copy(update={"shared_name": True})
            if item not in found and not replaced:
                found.append(item)
    return found


def _presented_columns(plan: MigrationPlan) -> dict[str, set[str]]:
    """Per versioned table, the physical columns its new release sees under another name."""
    if plan.versions is None:
        return {}
    return {
        table.table: {physical for shown, physical in table.new_columns if physical != shown}
        for table in plan.versions.tables
    }


def _renamed_to(statement: ast.Node | None) -> list[tuple[str, str]]:
    """The (schema, name) a relation rename gives its relation: a name that goes on existing."""
    if (
        isinstance(statement, ast.RenameStmt)
        and statement.renameType in _RELATION_KINDS
        and statement.relation is not None
        and statement.newname
    ):
        return [(statement.relation.schemaname or "public", statement.newname)]
    return []


def _retired_by(statement: ast.Node | None, step_id: str) -> list[RetiredObject]:
    if isinstance(statement, ast.DropStmt) and statement.removeType in _RELATION_KINDS:
        kind = _RELATION_KINDS[statement.removeType]
        return [_relation(names, kind, step_id) for names in statement.objects or ()]
    if isinstance(statement, ast.AlterTableStmt) and statement.relation is not None:
        relation = statement.relation
        return [
            RetiredObject(
                schema_name=relation.schemaname,
                table=str(relation.relname),
                column=command.name,
                kind="column",
                step_id=step_id,
            )
            for command in statement.cmds or ()
            if isinstance(command, ast.AlterTableCmd)
            and command.subtype == enums.AlterTableType.AT_DropColumn
            and command.name
        ]
    if isinstance(statement, ast.RenameStmt) and statement.relation is not None:
        relation = statement.relation
        if statement.renameType == enums.ObjectType.OBJECT_COLUMN and statement.subname:
            return [
                RetiredObject(
                    schema_name=relation.schemaname,
                    table=str(relation.relname),
                    column=statement.subname,
                    kind="column",
                    step_id=step_id,
                )
            ]
        if statement.renameType in _RELATION_KINDS:
            kind = _RELATION_KINDS[statement.renameType]
            return [
                RetiredObject(
                    schema_name=relation.schemaname, table=str(relation.relname), kind=kind, step_id=step_id
                )
            ]
    return []


def _relation(names: object, kind: str, step_id: str) -> RetiredObject:
    parts = [part.sval for part in names if isinstance(part, ast.String)] if isinstance(names, tuple) else []
    schema_name = parts[-2] if len(parts) >= 2 else None
    return RetiredObject(schema_name=schema_name, table=str(parts[-1]), kind=kind, step_id=step_id)
