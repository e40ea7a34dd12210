"""prepare_query: does an application query still parse and plan against a schema?

The compatibility agent's question is whether old application code keeps working on the new schema
(and new code on the old one). PREPARE answers it without running anything: the server resolves every
table, column, function and operator, infers parameter types, and rejects what no longer exists. It runs
in a READ ONLY transaction that is rolled back, so even an INSERT or UPDATE is only analysed, never run.
A query the server rejects is an answer (``prepares: false``), not a tool failure.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pglast import ast
from pydantic import BaseModel, Field

from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.policy import PolicyViolation, check_script
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import read_only_session, scrub

_APPLICATION_QUERIES = (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)

_PARAMETER_TYPES = (
    "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'zdt_compat_check'"
)


class PrepareQueryInput(BaseModel):
    sql: str = Field(
        description="One application query (SELECT/INSERT/UPDATE/DELETE), $1.. parameters allowed."
    )
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def checked_application_query(sql: str) -> str:
    try:
        check_script(sql, single_statement=True)
        node = parse_statements(sql)[0].node
    except (PolicyViolation, SqlSyntaxError) as error:
        raise ToolError(str(error)) from None
    if not isinstance(node, _APPLICATION_QUERIES):
        raise ToolError(f"only application queries can be prepared, not {type(node).__name__}: {sql}")
    return sql.strip().rstrip(";")


def prepare(ctx: ToolContext, sql: str, role: DatabaseRole | None = None) -> dict[str, Any]:
    """Prepare ``sql`` on the database of ``role``; report whether it prepares and its parameter types."""
    query = checked_application_query(sql)
    with read_only_session(ctx, role) as conn:
        try:
            with conn.transaction():
                conn.execute(f"PREPARE zdt_compat_check AS {query}")  # policy-checked application query
                row = conn.execute(_PARAMETER_TYPES).fetchone()
                conn.execute("DEALLOCATE zdt_compat_check")
        except psycopg.Error as error:
            message = scrub(str(error).strip(), ctx)
            return {"database": ctx.describe(role), "prepares": False, "error": message}
    return {"database": ctx.describe(role), "prepares": True, "parameter_types": list(row[0]) if row else []}


def prepare_query_tool(ctx: ToolContext) -> Tool:
    def run(args: PrepareQueryInput) -> dict[str, Any]:
        return prepare(ctx, args.sql, args.database)

    return Tool(
        name="prepare_query",
        description=(
            "Check that one application query still parses and plans against a schema (PREPARE in a "
            "read-only transaction, nothing runs). Use database='staging' for the migrated schema and "
            "'target' for the current one."
        ),
        input_model=PrepareQueryInput,
        function=run,
    )
