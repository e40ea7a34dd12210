"""analyse_sql: the analyser's reports (locks, rewrites, scans, findings) as JSON a model can reason with.

The model's opinion of what a statement locks is not trusted; the analyser's is, and the analyser reads
the live schema for sizes and current types when the tool is asked to (the default).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from zdt.analysis import analyse_sql
from zdt.analysis.source import SqlSyntaxError
from zdt.schema.snapshot import SchemaSnapshot
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.inspect_schema import read_snapshot


class AnalyseSqlInput(BaseModel):
    sql: str = Field(description="One or more SQL statements (the migration as proposed).")
    use_live_schema: bool = Field(
        default=True, description="Read the database's schema for sizes, types and constraints."
    )
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def analyse(sql: str, snapshot: SchemaSnapshot | None) -> list[dict[str, Any]]:
    """Analyser reports as JSON-safe dicts; SqlSyntaxError becomes a ToolError with the parser's words."""
    try:
        reports = analyse_sql(sql, snapshot=snapshot)
    except SqlSyntaxError as error:
        raise ToolError(f"syntax error: {error}") from None
    return [report.model_dump(mode="json", exclude_none=True) for report in reports]


def analyse_sql_tool(ctx: ToolContext) -> Tool:
    def run(args: AnalyseSqlInput) -> dict[str, Any]:
        snapshot = read_snapshot(ctx, args.database) if args.use_live_schema else None
        return {"statements": analyse(args.sql, snapshot)}

    return Tool(
        name="analyse_sql",
        description=(
            "Analyse SQL without running it: per statement the lock taken, whether it rewrites or scans the "
            "table, whether reads/writes would wait, and findings with safe fixes."
        ),
        input_model=AnalyseSqlInput,
        function=run,
    )
