"""The agent registry lists exactly the agents defined in zdt/agents, each with a tool set and a prompt.

Why scan the package: the other tests iterate over ``AGENTS``, so an agent missing from it would go
untested without a word. A module that defines a concrete Agent must be registered, under its own name.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib.resources import files
from typing import Any

import pytest

import zdt.agents
from zdt.agents import AGENTS, AgentSpec
from zdt.agents.base import Agent
from zdt.tools.registry import AGENT_TOOLS


def _defined_agents() -> set[tuple[str, type[Agent[Any]]]]:
    """(module, class) of every concrete Agent subclass defined (not imported) in zdt.agents.*."""
    found: set[tuple[str, type[Agent[Any]]]] = set()
    for info in pkgutil.walk_packages(zdt.agents.__path__, prefix="zdt.agents."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Agent) and cls.__module__ == info.name and not inspect.isabstract(cls):
                found.add((info.name, cls))
    return found


def test_the_registry_names_exactly_the_agent_modules() -> None:
    assert _defined_agents() == {(f"zdt.agents.{name}", spec.agent) for name, spec in AGENTS.items()}


def test_each_tool_set_is_the_one_build_toolbox_reads() -> None:
    assert set(AGENT_TOOLS) == set(AGENTS)
    for name, spec in AGENTS.items():
        assert spec.tools is AGENT_TOOLS[name]


def test_the_prompts_are_exactly_the_agents_templates() -> None:
    """Every agent's template ships in zdt/prompts, and every prompt there belongs to an agent."""
    shipped = {p.name for p in files("zdt").joinpath("prompts").iterdir() if p.name.endswith(".md.j2")}
    partials = {name for name in shipped if name.startswith("_")}  # included by the templates
    assert shipped - partials == {spec.template for spec in AGENTS.values()}


@pytest.mark.parametrize("spec", list(AGENTS.values()), ids=lambda s: s.name)
def test_spec_makes_its_agent(spec: AgentSpec) -> None:
    agent = spec.create()
    assert isinstance(agent, spec.agent) and agent.name == spec.name
    assert spec.context(extra=1) == {**spec.minimal_context, "extra": 1}
    assert "extra" not in spec.minimal_context


def test_a_spec_must_hold_the_agent_it_names() -> None:
    with pytest.raises(ValueError, match="AgentSpec 'planner' holds MonitorAgent named 'monitor'"):
        AgentSpec("planner", AGENTS["monitor"].agent, AGENT_TOOLS["planner"], {"session_id": "s1"})
