"""What every agent is: a role (system prompt from a jinja2 template), tools, and a typed result.

Two brains can run an agent. The Claude brain runs a tool-use loop on the official SDK and must end by
submitting a result that validates against the agent's result model. The offline brain runs the agent's
deterministic implementation with the same tools and the same result type. Either way the LLM only
proposes: what it returns is checked by deterministic code (analyser, gate, policy) before anything runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, Field

from zdt.tools.base import ToolBox

ResultT = TypeVar("ResultT", bound=BaseModel)

_PROMPTS = Environment(
    loader=PackageLoader("zdt", "prompts"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


class ModelCall(BaseModel):
    """One Messages API call, for the session record (zdt.record) and the cost summary.

    The request is told incrementally: ``messages`` are the turns appended since the conversation's
    previous call (from index ``message_offset``), so a 20-turn loop does not record its history 20
    times; ``request_sha256`` is the digest of the whole request (model, max_tokens, system, tools, every
    message) that a replay compares against. System prompt and tools are told by their digests.
    """

    agent: str
    model: str
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    duration_ms: float = 0.0
    system_sha256: str | None = None
    tools_sha256: str | None = None
    request_sha256: str | None = None
    message_offset: int = 0
    messages: list[dict[str, Any]] = Field(default_factory=list)
    response: list[dict[str, Any]] = Field(default_factory=list, description="The response's content blocks.")
    error: str | None = None


class ModelCallObserver(Protocol):
    def __call__(self, call: ModelCall) -> None: ...


class Brain(Protocol):
    """Something that can solve an agent's task with its tools and return its typed result."""

    @property
    def name(self) -> str:
        """'offline' or 'claude (<model id>)': shown by the CLI and in every scratchpad."""
        ...

    def solve(
        self, agent: Agent[ResultT], context: dict[str, Any], tools: ToolBox
    ) -> ResultT:  # pragma: no cover - protocol
        ...


class Agent(ABC, Generic[ResultT]):
    """Base class of the four agents."""

    name: ClassVar[str]
    template: ClassVar[str]  # file name in zdt/prompts/
    result_model: ClassVar[type[BaseModel]]

    def system_prompt(self, context: dict[str, Any]) -> str:
        return _PROMPTS.get_template(self.template).render(**context)

    @abstractmethod
    def task_message(self, context: dict[str, Any]) -> str:
        """The first user turn for a model: what to do this time."""

    @abstractmethod
    def offline(self, context: dict[str, Any], tools: ToolBox) -> ResultT:
        """The deterministic implementation: same tools, same result type, no model."""


def run_agent(agent: Agent[ResultT], context: dict[str, Any], brain: Brain, tools: ToolBox) -> ResultT:
    """Run ``agent`` with ``brain``; the single entry point the graph nodes use."""
    return brain.solve(agent, context, tools)
