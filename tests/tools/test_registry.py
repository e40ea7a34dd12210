"""build_toolbox: least privilege per agent, every call observed, and schemas a model can read."""

from __future__ import annotations

import pytest

from zdt.tools import AGENT_TOOLS, ToolCall, ToolContext, build_toolbox

READ_ONLY_AGENTS = ("planner", "compatibility")
WRITERS = {"execute_step", "write_scratchpad", "append_log"}


@pytest.mark.parametrize("agent", READ_ONLY_AGENTS)
def test_read_only_agents_cannot_write_the_database(agent: str, tool_context: ToolContext) -> None:
    assert "execute_step" not in build_toolbox(agent, tool_context).tools


def test_every_agent_has_a_tool_set(tool_context: ToolContext) -> None:
    for agent in ("planner", "executor", "compatibility", "monitor"):
        tools = build_toolbox(agent, tool_context)
        assert tools.agent == agent and tools.tools
        for schema in tools.schemas():
            assert schema["description"] and schema["input_schema"]["type"] == "object"
    assert set(AGENT_TOOLS) == {"planner", "executor", "compatibility", "monitor"}


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
