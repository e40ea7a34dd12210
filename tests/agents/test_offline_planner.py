"""PlannerAgent.offline on a real database: the SQL as given, risks from the analyser and the sizes."""

from __future__ import annotations

import re
from dataclasses import replace

import psycopg
import pytest

from zdt.agents import AgentError, NeedsModel, PlannerAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.agents.planner import NO_SQL_MESSAGE
from zdt.tools import ToolCall, ToolContext, build_toolbox


def _plan(ctx: ToolContext, sql: str | None, calls: list[ToolCall] | None = None, **extra: object):
    tools = build_toolbox("planner", ctx, observers=[calls.append] if calls is not None else [])
    return run_agent(PlannerAgent(), {"session_id": "s", "sql": sql, **extra}, OfflineBrain(), tools)


def test_civic_and_auth_tables_get_integrity_notes(tool_context: ToolContext) -> None:
    sql = (
        "ALTER TABLE elections ADD COLUMN ballot_measures jsonb DEFAULT '[]';\n"
        "ALTER TABLE users ADD COLUMN badge text NOT NULL DEFAULT 'none';\n"
    )
    calls: list[ToolCall] = []
    result = _plan(tool_context, sql, calls)
    assert result.sql == sql.strip()
    assert [c.tool for c in calls] == ["analyse_sql"]  # through the ToolBox seam
    risks = "\n".join(result.risks)
    assert "public.elections: civic data" in risks
    assert "public.users: user authentication data" in risks
    assert "public.votes" not in risks  # not touched by this SQL


def test_large_tables_get_lock_time_notes(tool_context: ToolContext) -> None:
    with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, n int)")
        conn.execute("INSERT INTO posts SELECT g, g FROM generate_series(1, 120000) g")
        conn.execute("ANALYZE posts")
    result = _plan(tool_context, "ALTER TABLE posts ALTER COLUMN n TYPE bigint")
    (lock_note,) = [risk for risk in result.risks if "lock time" in risk]
    match = re.search(r"rewrites the sizeable table public\.posts \(~(\d+) rows", lock_note)
    assert match and int(match.group(1)) >= 100_000, lock_note
    assert "AccessExclusiveLock" in lock_note
    assert any("[changing-column-type]" in risk for risk in result.risks)


def test_small_tables_get_no_lock_note(tool_context: ToolContext) -> None:
    result = _plan(tool_context, "ALTER TABLE votes ALTER COLUMN user_id TYPE numeric")
    assert not [risk for risk in result.risks if "lock time" in risk]
    assert any("public.votes: civic data" in risk for risk in result.risks)


def test_prompt_without_sql_needs_claude(tool_context: ToolContext) -> None:
    """The offline brain refuses to invent DDL from prose: it says what to do and touches nothing."""
    calls: list[ToolCall] = []
    with pytest.raises(NeedsModel) as raised:
        _plan(tool_context, None, calls, prompt="add a badge to every user")
    assert str(raised.value) == NO_SQL_MESSAGE
    assert "ANTHROPIC_API_KEY" in str(raised.value) and "--sql FILE" in str(raised.value)
    assert calls == []
    assert not (tool_context.scratchpad_dir / "MIGRATION-PLAN.md").exists()


def test_unparseable_sql_is_a_clear_error(tool_context: ToolContext) -> None:
    with pytest.raises(AgentError, match="the SQL cannot be analysed: syntax error"):
        _plan(tool_context, "ALTER TABLE users ADDD x")


def test_unreachable_database_still_proposes(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://app:pw-9z@127.0.0.1:1/nowhere")
    result = _plan(ctx, "CREATE INDEX idx_users_email ON users (email)")
    assert result.sql.startswith("CREATE INDEX")
    assert any("could not be read" in risk for risk in result.risks)
    assert "pw-9z" not in "\n".join(result.risks)
