"""Typed agent contexts: the graph passes a plain dict, each agent reads it through its own model.

A dict keeps the graph free to pass JSON straight from its state; the model turns a missing or
mistyped key into one clear validation error naming the agent, instead of a jinja2 UndefinedError deep
inside a template or a KeyError in the offline path. Unknown keys are ignored so a node can pass more
than an agent reads.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zdt.agents.base import _PROMPTS, Agent, ResultT
from zdt.agents.errors import AgentError


class AgentContext(BaseModel):
    """Keys every agent reads."""

    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(description="Shown in prompts and scratchpads, so documents can be traced.")
    environment: str = Field(default="planning", description="'planning', 'rehearsal' or 'production'.")
    schema_summary: str | None = Field(
        default=None, description="inspect_schema's text summary; the model calls the tool when absent."
    )
    findings: list[str] = Field(default_factory=list, description="Problems the gates found last round.")


ContextT = TypeVar("ContextT", bound=AgentContext)


class ContextAgent(Agent[ResultT], Generic[ResultT, ContextT]):
    """An Agent whose context is validated by ``context_model`` before prompts or offline code see it."""

    context_model: ClassVar[type[AgentContext]]

    def read_context(self, context: dict[str, Any]) -> ContextT:
        """The validated context (an instance of ``context_model``); AgentError when keys are wrong."""
        try:
            return cast(ContextT, self.context_model.model_validate(context))
        except ValidationError as error:
            raise AgentError(f"{self.name} agent: bad context: {error}") from None

    def system_prompt(self, context: dict[str, Any]) -> str:
        values = self.read_context(context).model_dump()
        return _PROMPTS.get_template(self.template).render(agent=self.name, **values)
