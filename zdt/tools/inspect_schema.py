"""inspect_schema: the live schema as a model can read it, sizes included.

The full snapshot is large and mostly noise to a model; this summary keeps what decides a migration's
risk (columns, constraints, indexes, who references whom, and how big each table is) in a few lines per
table, so it fits a prompt and can be cached with it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from zdt.schema.snapshot import SchemaSnapshot, TableInfo, introspect
from zdt.tools.base import Tool
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import read_only_session

_KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}


class InspectSchemaInput(BaseModel):
    tables: list[str] | None = Field(
        default=None, description="Only these tables (e.g. 'public.users' or 'users'); default all."
    )
    format: Literal["text", "json"] = Field(default="text", description="text: compact; json: full detail.")
    database: DatabaseRole | None = Field(
        default=None, description="'target' or 'staging'; default: the database of this environment."
    )


def read_snapshot(ctx: ToolContext, role: DatabaseRole | None = None) -> SchemaSnapshot:
    """Introspect the database read-only (the planner and the offline agents use it too)."""
    with read_only_session(ctx, role, timeout_ms=max(ctx.statement_timeout_ms, 30_000)) as conn:
        return introspect(conn)


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def schema_summary(snapshot: SchemaSnapshot, tables: list[str] | None = None) -> str:
    """A compact text description of ``snapshot`` (optionally only some tables)."""
    wanted = _select(snapshot, tables)
    lines = [f"PostgreSQL {snapshot.server_version}, TimeZone {snapshot.timezone}, {len(wanted)} relations"]
    for table in wanted:
        lines.extend(_table_lines(table))
    if snapshot.enums:
        lines.append("enums: " + "; ".join(f"{k}({', '.join(v)})" for k, v in sorted(snapshot.enums.items())))
    return "\n".join(lines)


def _select(snapshot: SchemaSnapshot, tables: list[str] | None) -> list[TableInfo]:
    if not tables:
        return [snapshot.tables[name] for name in sorted(snapshot.tables)]
    wanted = {name if "." in name else f"public.{name}" for name in tables}
    return [snapshot.tables[name] for name in sorted(snapshot.tables) if name in wanted]


def _table_lines(table: TableInfo) -> list[str]:
    kind = _KINDS.get(table.kind, table.kind)
    lines = [f"\n{table.name} ({kind}, ~{table.rows} rows, {human_bytes(table.bytes)})"]
    for column in table.columns.values():
        extras = " NOT NULL" if column.not_null else ""
        extras += f" DEFAULT {column.default}" if column.default else ""
        lines.append(f"  {column.name} {column.type}{extras}")
    lines.extend(f"  index {i.name}{'' if i.valid else ' (INVALID)'}: {i.definition}" for i in table.indexes)
    lines.extend(
        f"  constraint {c.name}: {c.definition}{'' if c.validated else ' (NOT VALID)'}" for c in table.checks
    )
    lines.extend(
        f"  fk {f.name}: {f.definition}{'' if f.validated else ' (NOT VALID)'}" for f in table.foreign_keys
    )
    if table.referenced_by:
        lines.append(f"  referenced by: {', '.join(table.referenced_by)}")
    if table.dependent_views:
        lines.append(f"  views: {', '.join(table.dependent_views)}")
    if table.triggers:
        lines.append(f"  triggers: {', '.join(table.triggers)}")
    return lines


def inspect_schema_tool(ctx: ToolContext) -> Tool:
    def run(args: InspectSchemaInput) -> str | dict[str, object]:
        snapshot = read_snapshot(ctx, args.database)
        if args.format == "json":
            chosen = {t.name: t.model_dump(mode="json") for t in _select(snapshot, args.tables)}
            return {"server_version": snapshot.server_version, "tables": chosen}
        return schema_summary(snapshot, args.tables)

    return Tool(
        name="inspect_schema",
        description=(
            "Read the live schema (read-only): tables with row estimates and sizes, columns, indexes, "
            "constraints, foreign keys. Sizes decide how long a lock would be held."
        ),
        input_model=InspectSchemaInput,
        function=run,
    )
