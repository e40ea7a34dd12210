"""The offline brain: the agent's deterministic implementation, no model, no network.

It exists so that every session can run without an API key (CI, air-gapped operators, the test suite)
and so that a model's answer always has a deterministic baseline to be compared with.
"""

from __future__ import annotations

from typing import Any, cast

from zdt.agents.base import Agent, ResultT
from zdt.tools.base import ToolBox

OFFLINE_NAME = "offline (deterministic)"


class OfflineBrain:
    """Runs ``agent.offline`` with the same ToolBox a model would get (so every call is observed)."""

    @property
    def name(self) -> str:
        return OFFLINE_NAME

    def solve(self, agent: Agent[ResultT], context: dict[str, Any], tools: ToolBox) -> ResultT:
        result = agent.offline(context, tools)
        # the same contract as the Claude brain: what comes back validates against the result model
        validated = agent.result_model.model_validate(result.model_dump())
        return cast(ResultT, validated)  # result_model is ResultT's class; a ClassVar cannot say so
