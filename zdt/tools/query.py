"""explain_query and run_readonly_sql: a model may look at the data, never change it nor read secrets.

Three fences. The SQL policy and the read-only query rules (``zdt.policy.readonly``: one SELECT, nothing
written or locked anywhere in it, no relation or column holding secrets, no escape-hatch function)
refuse before the server sees anything; the functions the query calls are looked up in the server's
pg_proc and must be pg_catalog built-ins declared IMMUTABLE or STABLE. The server then runs it in a READ
ONLY transaction with a statement_timeout, rolled back afterwards, and, when zdt connected as a
superuser and the server has a non-superuser role for it (``ToolContext.reader_role``), as that role
(``SET LOCAL ROLE``): every result says which (``runs_as``).
"""

from __future__ import annotations

from typing import Any

import psycopg
from pydantic import BaseModel, Field

from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.policy import FunctionCatalogue, PolicyViolation, check_script
from zdt.policy.functions import called_in
from zdt.policy.readonly import check_readonly_query
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import drop_superuser, read_only_session


class ReadOnlySqlInput(BaseModel):
    sql: str = Field(description="Exactly one SELECT (or EXPLAIN of one).")
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


class ExplainInput(BaseModel):
    sql: str = Field(description="Exactly one query to EXPLAIN (it is planned, not run).")
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def checked_query(sql: str) -> str:
    """The statement, if a read-only tool may send it to the server; otherwise a ToolError saying why.

    Parsed twice over: the SQL policy in read-only mode (statement kinds, escape hatches) and the
    read-only query rules (one SELECT, nothing written or locked anywhere in it, no secret read). The
    functions it calls are judged on the server's own catalogue by :func:`checked_functions`.
    """
    try:
        check_script(sql, read_only=True, single_statement=True)
        check_readonly_query(sql)
    except PolicyViolation as error:
        raise ToolError(str(error)) from None
    except SqlSyntaxError as error:
        raise ToolError(f"syntax error: {error}") from None
    return sql.strip().rstrip(";")


_BUILTINS = """
SELECT p.proname, max(p.provolatile::text) FROM pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(%s) GROUP BY p.proname
"""


def checked_functions(conn: psycopg.Connection, sql: str) -> None:
    """Every function the query calls must be a pg_catalog built-in the server declares IMMUTABLE or
    STABLE (or a harmless volatile one); a ToolError naming the first that is not."""
    node = parse_statements(sql)[0].node
    called = sorted({name.rsplit(".", 1)[-1] for name in called_in(node)})
    builtins = {str(name): str(volatility) for name, volatility in conn.execute(_BUILTINS, (called,))}
    try:
        check_script(sql, read_only=True, functions=FunctionCatalogue.for_queries(builtins))
    except PolicyViolation as error:
        raise ToolError(str(error)) from None


def run_readonly_sql_tool(ctx: ToolContext) -> Tool:
    def run(args: ReadOnlySqlInput) -> dict[str, Any]:
        sql = checked_query(args.sql)
        with read_only_session(ctx, args.database) as conn:
            checked_functions(conn, sql)
            runs_as = drop_superuser(conn, ctx)
            cursor = conn.execute(sql)  # policy-checked, single statement
            columns = [column.name for column in cursor.description or ()]
            rows = cursor.fetchmany(ctx.row_cap + 1)
        truncated = len(rows) > ctx.row_cap
        return {
            "database": ctx.describe(args.database),
            "columns": columns,
            "rows": [list(row) for row in rows[: ctx.row_cap]],
            "truncated": truncated,
            "runs_as": runs_as,
        }

    return Tool(
        name="run_readonly_sql",
        description=(
            "Run one SELECT (or EXPLAIN of one) in a READ ONLY transaction with a statement timeout; at "
            f"most {ctx.row_cap} rows come back. Writes, locks, multiple statements, functions that are "
            "not pg_catalog built-ins and catalogues holding secrets are refused."
        ),
        input_model=ReadOnlySqlInput,
        function=run,
    )


def explain_query_tool(ctx: ToolContext) -> Tool:
    def run(args: ExplainInput) -> str:
        sql = checked_query(args.sql)
        with read_only_session(ctx, args.database) as conn:
            checked_functions(conn, sql)  # planning folds constants: an immutable call runs
            runs_as = drop_superuser(conn, ctx)
            rows = conn.execute(f"EXPLAIN {sql}").fetchall()  # policy-checked, single statement
        return "\n".join([*(str(row[0]) for row in rows), f"(runs as: {runs_as})"])

    return Tool(
        name="explain_query",
        description=(
            "Show the query plan of one query (EXPLAIN without ANALYZE: nothing runs) in a read-only "
            "transaction. Use it to check that a query still plans against the schema and uses an index."
        ),
        input_model=ExplainInput,
        function=run,
    )
