"""Every agent's system prompt renders from its documented context keys, and only needs session_id.

The agents come from the registry (zdt.agents.AGENTS), so a new agent is checked here without editing
this file; tests/agents/test_registry.py makes sure the registry lists every agent.
"""

from __future__ import annotations

import pytest

from zdt.agents import AGENTS, AgentError, AgentSpec, ExecutorAgent, PlannerAgent

SPECS = list(AGENTS.values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_prompt_renders_role_rules_and_schema_hint(spec: AgentSpec) -> None:
    agent = spec.create()
    prompt = agent.system_prompt(spec.context())
    assert "s1" in prompt
    assert "never try to execute production sql by hand" in prompt.lower()
    assert "submit_result" in prompt
    assert "call `inspect_schema`" in prompt
    assert agent.task_message(spec.context())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_prompt_carries_findings_and_schema_summary(spec: AgentSpec) -> None:
    context = spec.context(
        findings=["s02: has no verification query"],
        schema_summary="public.users (table, ~500 rows, 64.0 kB)",
    )
    prompt = spec.create().system_prompt(context)
    assert "s02: has no verification query" in prompt
    assert "public.users (table, ~500 rows" in prompt


def test_missing_required_key_is_a_clear_agent_error() -> None:
    with pytest.raises(AgentError, match="executor agent: bad context"):
        ExecutorAgent().system_prompt({"session_id": "s1"})


def test_extra_keys_are_ignored() -> None:
    """A key the agent does not read neither fails validation nor reaches the prompt."""
    plain = PlannerAgent().system_prompt({"session_id": "s1"})
    extra = PlannerAgent().system_prompt({"session_id": "s1", "plan_hash": "hash-4d1f-unread"})
    assert extra == plain
    assert "hash-4d1f-unread" not in extra


def test_the_compatibility_prompt_shows_a_collected_corpus_as_json() -> None:
    spec = AGENTS["compatibility"]
    corpus = '{"version": 1, "queries": []}'
    assert f"```json\n{corpus}\n```" in spec.create().system_prompt(spec.context(queries=corpus))
    sql = "SELECT 1"
    assert f"```sql\n{sql}\n```" in spec.create().system_prompt(spec.context(queries=sql))
