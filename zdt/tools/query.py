"""explain_query and run_readonly_sql: a model may look at the data, never change it.

Two independent fences: the SQL policy (read-only statement kinds, exactly one statement, no forbidden
functions such as pg_terminate_backend) refuses before the server sees anything, and the server itself
runs the query in a READ ONLY transaction with a statement_timeout, rolled back afterwards.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.visitors import Visitor
from pydantic import BaseModel, Field

from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.policy import PolicyViolation, check_script
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import read_only_session


class ReadOnlySqlInput(BaseModel):
    sql: str = Field(description="Exactly one read-only statement (SELECT, SHOW, EXPLAIN).")
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


class ExplainInput(BaseModel):
    sql: str = Field(description="Exactly one query to EXPLAIN (it is planned, not run).")
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def checked_query(sql: str) -> str:
    """The statement, if the policy lets a read-only tool run it; otherwise a ToolError saying why."""
    try:
        check_script(sql, read_only=True, single_statement=True)
    except PolicyViolation as error:
        raise ToolError(str(error)) from None
    except SqlSyntaxError as error:
        raise ToolError(f"syntax error: {error}") from None
    writes = _writes(parse_statements(sql)[0].node)
    if writes:
        raise ToolError(f"refused by policy: a read-only tool cannot run {', '.join(writes)}: {sql}")
    return sql.strip().rstrip(";")


_WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def _writes(node: ast.Node) -> list[str]:
    """Data-changing statements hidden in a query: a writable CTE, or EXPLAIN ANALYZE of a DELETE."""
    found: list[str] = []

    class _Finder(Visitor):
        def visit(self, ancestors: object, node: ast.Node) -> None:
            if isinstance(node, _WRITES):
                found.append(type(node).__name__)

    _Finder()(node)
    return sorted(set(found))


def run_readonly_sql_tool(ctx: ToolContext) -> Tool:
    def run(args: ReadOnlySqlInput) -> dict[str, Any]:
        sql = checked_query(args.sql)
        with read_only_session(ctx, args.database) as conn:
            cursor = conn.execute(sql)  # policy-checked, single statement
            columns = [column.name for column in cursor.description or ()]
            rows = cursor.fetchmany(ctx.row_cap + 1)
        truncated = len(rows) > ctx.row_cap
        return {
            "database": ctx.describe(args.database),
            "columns": columns,
            "rows": [list(row) for row in rows[: ctx.row_cap]],
            "truncated": truncated,
        }

    return Tool(
        name="run_readonly_sql",
        description=(
            "Run one read-only query (SELECT/SHOW/EXPLAIN) in a READ ONLY transaction with a statement "
            f"timeout; at most {ctx.row_cap} rows come back. Writes and multiple statements are refused."
        ),
        input_model=ReadOnlySqlInput,
        function=run,
    )


def explain_query_tool(ctx: ToolContext) -> Tool:
    def run(args: ExplainInput) -> str:
        sql = checked_query(args.sql)
        with read_only_session(ctx, args.database) as conn:
            rows = conn.execute(f"EXPLAIN {sql}").fetchall()  # policy-checked, single statement
        return "\n".join(str(row[0]) for row in rows)

    return Tool(
        name="explain_query",
        description=(
            "Show the query plan of one query (EXPLAIN without ANALYZE: nothing runs) in a read-only "
            "transaction. Use it to check that a query still plans against the schema and uses an index."
        ),
        input_model=ExplainInput,
        function=run,
    )
