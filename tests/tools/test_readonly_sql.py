"""run_readonly_sql and explain_query: reads work, every way of writing or escaping is refused."""

from __future__ import annotations

import json

import psycopg
import pytest

from zdt.tools import ToolContext, build_toolbox
from zdt.tools.base import ToolError
from zdt.tools.session import read_only_session


@pytest.fixture
def planner_tools(tool_context: ToolContext):
    return build_toolbox("planner", tool_context)


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


def test_select_returns_rows_and_columns(planner_tools, tool_context: ToolContext) -> None:
    result = planner_tools.call(
        "run_readonly_sql", {"sql": "SELECT id, email FROM users ORDER BY id LIMIT 2"}
    )
    assert not result.is_error, result.content
    data = json.loads(result.content)
    assert data["columns"] == ["id", "email"]
    assert data["rows"] == [[1, "u1@example.org"], [2, "u2@example.org"]]
    assert data["truncated"] is False


def test_row_cap_truncates(planner_tools) -> None:
    data = json.loads(planner_tools.call("run_readonly_sql", {"sql": "SELECT id FROM users"}).content)
    assert len(data["rows"]) == 200 and data["truncated"] is True


@pytest.mark.parametrize(
    "sql",
    [
        "DROP DATABASE prod",
        "SELECT 1; DROP TABLE users",
        "DELETE FROM users",
        "WITH d AS (DELETE FROM users RETURNING id) SELECT count(*) FROM d",
        "EXPLAIN ANALYZE DELETE FROM users",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
        "COPY users TO PROGRAM 'cat > /tmp/x'",
        "ALTER ROLE postgres WITH PASSWORD 'x'",
        "SELECT * FROM users FOR UPDATE",
    ],
)
def test_writes_and_smuggling_are_refused(planner_tools, tool_context: ToolContext, sql: str) -> None:
    result = planner_tools.call("run_readonly_sql", {"sql": sql})
    assert result.is_error
    assert "refused" in result.content or "expected exactly one statement" in result.content
    assert _count(tool_context.target_url, "users") == 500


def test_server_side_read_only_fence(planner_tools, tool_context: ToolContext) -> None:
    """A write through a function is refused before the server sees it; and were a policy bug to let one
    through, it would still fail: the transaction the tools run in is READ ONLY."""
    with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS $$ DELETE FROM votes RETURNING 1 $$"
        )
    result = planner_tools.call("run_readonly_sql", {"sql": "SELECT sneaky()"})
    assert result.is_error
    assert "calls sneaky" in result.content and "built-ins of pg_catalog only" in result.content
    with pytest.raises(ToolError, match="read-only transaction"), read_only_session(tool_context) as conn:
        conn.execute("SELECT sneaky()")  # straight to the server, past the policy
    assert _count(tool_context.target_url, "votes") == 300


def test_statement_timeout_bounds_a_query(civic_url: str, tool_context: ToolContext) -> None:
    from dataclasses import replace

    tools = build_toolbox("planner", replace(tool_context, statement_timeout_ms=100))
    result = tools.call("run_readonly_sql", {"sql": "SELECT pg_sleep(2)"})
    assert result.is_error and "statement timeout" in result.content


def test_explain_plans_without_running(planner_tools) -> None:
    result = planner_tools.call("explain_query", {"sql": "SELECT * FROM users WHERE id = 5"})
    assert not result.is_error, result.content
    assert "users_pkey" in result.content
    assert "actual time" not in result.content


def test_explain_refuses_writes(planner_tools, tool_context: ToolContext) -> None:
    assert planner_tools.call("explain_query", {"sql": "DELETE FROM users"}).is_error
    assert _count(tool_context.target_url, "users") == 500


def test_no_password_in_connection_errors(tmp_path) -> None:
    secret = "s3cr3t-pw"
    ctx = ToolContext(
        target_url=f"postgresql://nobody:{secret}@127.0.0.1:1/nowhere",
        scratchpad_dir=tmp_path,
        session_id="s",
    )
    result = build_toolbox("planner", ctx).call("run_readonly_sql", {"sql": "SELECT 1"})
    assert result.is_error
    assert secret not in result.content
    assert secret not in repr(ctx)
