"""Which tools each agent gets: least privilege decided here, in one table, not in prompts.

The planner and the compatibility agent only read (schema, analysis, read-only queries, EXPLAIN,
PREPARE). The executor is the only agent with ``execute_step``, which is itself guarded by the
environment. The monitor samples and reads. Everyone may read the shared scratchpads.

Why the tool sets live here, keyed by agent name, and not beside the agents: zdt.agents imports
zdt.tools (an agent runs with a ToolBox), so zdt.tools must never import zdt.agents. The agent registry
(``zdt.agents.registry.AGENTS``) points each AgentSpec at the tuple defined here, and ``build_toolbox``
reads the same table: one definition, visible to both layers, no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zdt.tools.analyse import analyse_sql_tool
from zdt.tools.base import CallObserver, Tool, ToolBox
from zdt.tools.compat_check import check_compatibility_tool
from zdt.tools.context import ToolContext
from zdt.tools.execute import execute_step_tool
from zdt.tools.inspect_schema import inspect_schema_tool
from zdt.tools.metrics import sample_metrics_tool
from zdt.tools.prepare import prepare_query_tool
from zdt.tools.query import explain_query_tool, run_readonly_sql_tool
from zdt.tools.scratchpad import append_log_tool, read_scratchpad_tool, write_scratchpad_tool

ToolFactory = Callable[[ToolContext, str], Tool]


def _plain(factory: Callable[[ToolContext], Tool]) -> ToolFactory:
    return lambda ctx, _agent: factory(ctx)


INSPECT = _plain(inspect_schema_tool)
ANALYSE = _plain(analyse_sql_tool)
EXPLAIN = _plain(explain_query_tool)
READONLY_SQL = _plain(run_readonly_sql_tool)
PREPARE = _plain(prepare_query_tool)
COMPAT = _plain(check_compatibility_tool)
EXECUTE = _plain(execute_step_tool)
METRICS = _plain(sample_metrics_tool)
READ_PAD = _plain(read_scratchpad_tool)
WRITE_PAD = _plain(write_scratchpad_tool)
APPEND_LOG: ToolFactory = append_log_tool

AGENT_TOOLS: dict[str, tuple[ToolFactory, ...]] = {
    "planner": (INSPECT, ANALYSE, EXPLAIN, READONLY_SQL, READ_PAD, WRITE_PAD),
    "executor": (INSPECT, ANALYSE, READONLY_SQL, EXECUTE, METRICS, READ_PAD, APPEND_LOG),
    "compatibility": (COMPAT, PREPARE, INSPECT, EXPLAIN, READONLY_SQL, READ_PAD, WRITE_PAD),
    "monitor": (METRICS, READONLY_SQL, READ_PAD, APPEND_LOG),
}


def build_toolbox(
    agent_name: str, tool_context: ToolContext, observers: Iterable[CallObserver] = ()
) -> ToolBox:
    """The ToolBox of ``agent_name`` bound to this session; KeyError names the known agents."""
    try:
        factories = AGENT_TOOLS[agent_name]
    except KeyError:
        raise KeyError(f"no tool set for agent {agent_name!r}; known: {', '.join(AGENT_TOOLS)}") from None
    toolbox = ToolBox(agent=agent_name, observers=list(observers))
    for factory in factories:
        toolbox.add(factory(tool_context, agent_name))
    return toolbox
