"""The agent team: planner, executor, compatibility and monitor, each a role, tools and a typed result.

Graph nodes run an agent with ``run_agent(agent, context, brain, toolbox)`` where ``context`` is a dict
of the keys the agent's class docstring lists (validated by its ``context_model``), ``brain`` comes from
``zdt.agents.brains.select_brain`` and ``toolbox`` from ``zdt.tools.build_toolbox(agent.name, ...)``.
``AGENTS`` (zdt.agents.registry) lists the team: name, class, tool set and prompt of each agent.
"""

from zdt.agents.base import Agent, Brain, ModelCall, ModelCallObserver, run_agent
from zdt.agents.compatibility import CompatibilityAgent, CompatibilityContext
from zdt.agents.errors import AgentError, NeedsModel, SubmissionRejected, TurnLimitReached
from zdt.agents.executor import ExecutorAgent, ExecutorContext
from zdt.agents.monitor import MonitorAgent, MonitorContext
from zdt.agents.planner import PlannerAgent, PlannerContext
from zdt.agents.registry import AGENTS, AgentSpec

__all__ = [
    "AGENTS",
    "Agent",
    "AgentError",
    "AgentSpec",
    "Brain",
    "CompatibilityAgent",
    "CompatibilityContext",
    "ExecutorAgent",
    "ExecutorContext",
    "ModelCall",
    "ModelCallObserver",
    "MonitorAgent",
    "MonitorContext",
    "NeedsModel",
    "PlannerAgent",
    "PlannerContext",
    "SubmissionRejected",
    "TurnLimitReached",
    "run_agent",
]
