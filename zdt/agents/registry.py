"""The agent team in one table: each agent's name, class, tool set, prompt and smallest context.

Why one table: the agent set used to be spelt out in several places (the tool table, the prompt tests,
the registry tests), and an agent added in one place could be forgotten in another. Tests iterate over
``AGENTS``; tests/agents/test_registry.py checks that it names exactly the agents defined in zdt/agents.

Why the tool sets are not defined here: the layers go graph -> agents -> tools. Agents import tools
(``zdt.agents.base`` needs ``ToolBox``), so tools may not import agents, and ``zdt.tools.build_toolbox``
(which the graph and many tests call by agent name) must find the tool sets in its own layer. They stay
in ``zdt.tools.registry.AGENT_TOOLS``, the least-privilege table, and each AgentSpec here holds the very
same tuple (``AgentSpec.tools is AGENT_TOOLS[name]``): one definition, read from both layers, no cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from zdt.agents.base import Agent
from zdt.agents.compatibility import CompatibilityAgent
from zdt.agents.executor import ExecutorAgent
from zdt.agents.monitor import MonitorAgent
from zdt.agents.planner import PlannerAgent
from zdt.tools.registry import AGENT_TOOLS, ToolFactory


@dataclass(frozen=True)
class AgentSpec:
    """One agent: what it is called, how to make it, what it may touch, what its prompt needs.

    ``minimal_context`` is the smallest context the agent's prompt and task message render from: the
    keys its context model requires (``session_id``, and for the executor the ``failure``). The prompt
    template's name is read from the agent class (``template``) rather than repeated here.
    """

    name: str
    agent: type[Agent[Any]]
    tools: tuple[ToolFactory, ...]
    minimal_context: Mapping[str, Any] = field(hash=False)

    def __post_init__(self) -> None:
        if self.agent.name != self.name:
            raise ValueError(f"AgentSpec {self.name!r} holds {self.agent.__name__} named {self.agent.name!r}")
        object.__setattr__(self, "minimal_context", MappingProxyType(dict(self.minimal_context)))

    @property
    def template(self) -> str:
        """The agent's jinja2 system prompt, a file name in zdt/prompts/."""
        return self.agent.template

    def create(self) -> Agent[Any]:
        return self.agent()

    def context(self, **extra: Any) -> dict[str, Any]:
        """The minimal context, plus ``extra``: a fresh dict the caller may change."""
        return {**self.minimal_context, **extra}


def _spec(agent: type[Agent[Any]], **minimal_context: Any) -> AgentSpec:
    return AgentSpec(agent.name, agent, AGENT_TOOLS[agent.name], {"session_id": "s1", **minimal_context})


AGENTS: dict[str, AgentSpec] = {
    spec.name: spec
    for spec in (
        _spec(PlannerAgent),
        _spec(ExecutorAgent, failure="lock not granted after 10 retries"),
        _spec(CompatibilityAgent),
        _spec(MonitorAgent),
    )
}
