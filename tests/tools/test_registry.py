"""build_toolbox: least privilege per agent, every call observed, and schemas a model can read.

The agent set is the registry's (zdt.agents.AGENTS); READ_ONLY_AGENTS names the agents whose tools take
SQL and must never write, a privilege statement about those two rather than a list of the team.
"""

from __future__ import annotations

import psycopg
import pytest

from zdt.agents import AGENTS
from zdt.tools import AGENT_TOOLS, ToolCall, ToolContext, build_toolbox

READ_ONLY_AGENTS = ("planner", "compatibility")
DATABASE_WRITERS = {"execute_step"}
WRITES = [
    "DELETE FROM votes",
    "UPDATE votes SET user_id = user_id + 1",
    "DROP TABLE votes",
    "EXPLAIN ANALYZE DELETE FROM votes",
    "WITH gone AS (DELETE FROM votes RETURNING id) SELECT count(*) FROM gone",
]


def _votes(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), coalesce(sum(user_id), 0) FROM votes").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("agent", READ_ONLY_AGENTS)
def test_read_only_agents_cannot_write_the_database(agent: str, tool_context: ToolContext) -> None:
    """Every tool of theirs that takes SQL is handed writes; the table is exactly as before."""
    tools = build_toolbox(agent, tool_context)
    assert not DATABASE_WRITERS & set(tools.tools)
    before = _votes(tool_context.target_url)
    takes_sql = [
        (name, field)
        for name, tool in tools.tools.items()
        for field in ("sql", "queries")
        if field in tool.input_model.model_fields
    ]
    assert {name for name, _ in takes_sql} >= {"run_readonly_sql", "explain_query"}
    for name, field in takes_sql:
        for write in WRITES:
            tools.call(name, {field: write, "database": "target"} if field == "sql" else {field: write})
    assert _votes(tool_context.target_url) == before


@pytest.mark.parametrize("agent", list(AGENTS))
def test_every_agent_has_a_tool_set(agent: str, tool_context: ToolContext) -> None:
    tools = build_toolbox(agent, tool_context)
    assert tools.agent == agent and tools.tools
    assert len(tools.tools) == len(AGENTS[agent].tools)  # the registry's tool set, one tool per factory
    for schema in tools.schemas():
        assert schema["description"] and schema["input_schema"]["type"] == "object"


def test_the_tool_table_names_exactly_the_registered_agents() -> None:
    """The agent set comes from zdt.agents.AGENTS (checked against zdt/agents in tests/agents)."""
    assert set(AGENT_TOOLS) == set(AGENTS)


def test_unknown_agent(tool_context: ToolContext) -> None:
    with pytest.raises(KeyError, match="no tool set for agent 'hacker'"):
        build_toolbox("hacker", tool_context)


def test_observers_see_every_call(tool_context: ToolContext) -> None:
    seen: list[ToolCall] = []
    tools = build_toolbox("monitor", tool_context, observers=[seen.append])
    tools.call("sample_metrics", {})
    tools.call("run_readonly_sql", {"sql": "DROP TABLE users"})
    assert [(c.agent, c.tool, c.result.is_error) for c in seen] == [
        ("monitor", "sample_metrics", False),
        ("monitor", "run_readonly_sql", True),
    ]
