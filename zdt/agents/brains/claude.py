"""The Claude brain: the agent's role as a cached system prompt, its tools, and a tool-use loop.

The loop ends only when the model calls ``submit_result`` with input that validates against the agent's
result model; everything else the model does is a tool call through the ToolBox seam, answered with a
tool_result (errors included, so the model can correct itself). Bounds keep a confused model from
looping forever: a number of turns, and a number of invalid submissions. Transient API errors (429,
529/5xx, 408, 409) are retried by the SDK itself (``max_retries``), not by this loop.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import anthropic
from anthropic.types import MessageParam, ToolResultBlockParam
from pydantic import BaseModel, ValidationError

from zdt.agents.base import Agent, ModelCall, ModelCallObserver, ResultT
from zdt.agents.brains.config import DEFAULT_MAX_RETRIES, configured_model
from zdt.agents.brains.wire import (
    SUBMIT_TOOL,
    assistant_blocks,
    cached_system,
    cached_tools,
    submit_tool,
    tool_result,
)
from zdt.agents.errors import AgentError, SubmissionRejected, TurnLimitReached
from zdt.tools.base import ToolBox

DEFAULT_MAX_TURNS = 24
DEFAULT_MAX_INVALID_SUBMISSIONS = 3
DEFAULT_MAX_TOKENS = 8192
NUDGE = "You have not submitted a result. Call submit_result now with your result."


class ModelCallFailed(AgentError):
    """The Messages API call failed after the SDK's own retries."""


class ClaudeBrain:
    """Runs an agent on Claude through the official ``anthropic`` SDK.

    ``client`` is injectable (a fake Messages API in tests); without one a
    client is made on first use from ANTHROPIC_API_KEY with ``max_retries``. The key is never stored on
    this object nor logged.
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        client: anthropic.Anthropic | None = None,
        client_factory: Callable[[], anthropic.Anthropic] | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_turns: int = DEFAULT_MAX_TURNS,
        max_invalid_submissions: int = DEFAULT_MAX_INVALID_SUBMISSIONS,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        observers: Iterable[ModelCallObserver] = (),
    ) -> None:
        self.model = model or configured_model()
        self._client = client
        self._client_factory = client_factory or (lambda: anthropic.Anthropic(max_retries=max_retries))
        self.max_turns = max_turns
        self.max_invalid_submissions = max_invalid_submissions
        self.max_tokens = max_tokens
        self.observers = list(observers)

    @property
    def name(self) -> str:
        return f"claude ({self.model})"

    def __repr__(self) -> str:
        return f"ClaudeBrain(model={self.model!r}, max_turns={self.max_turns})"

    @property
    def client(self) -> anthropic.Anthropic:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def solve(self, agent: Agent[ResultT], context: dict[str, Any], tools: ToolBox) -> ResultT:
        return _Conversation(self, agent, context, tools).run()

    def report(self, call: ModelCall) -> None:
        for observer in self.observers:
            observer(call)


class _Conversation:
    """One agent run: the message history and the counters of its bounds."""

    def __init__(
        self, brain: ClaudeBrain, agent: Agent[Any], context: dict[str, Any], tools: ToolBox
    ) -> None:
        self.brain = brain
        self.agent = agent
        self.tools = tools
        self.system = cached_system(agent.system_prompt(context))
        self.tool_defs = cached_tools([*tools.schemas(), submit_tool(agent.result_model)])
        self.messages: list[MessageParam] = [{"role": "user", "content": agent.task_message(context)}]
        self.invalid_submissions = 0
        self.reported = 0  # messages already told to the observers (each call tells only the new ones)

    def run(self) -> Any:
        for _ in range(self.brain.max_turns):
            response = self._call()
            self.messages.append({"role": "assistant", "content": assistant_blocks(response.content)})
            uses = [block for block in response.content if block.type == "tool_use"]
            if response.stop_reason == "refusal":
                raise AgentError(f"{self.agent.name}: the model refused the task")
            if not uses:
                self.messages.append({"role": "user", "content": NUDGE})
                continue
            results, submitted = self._answer(uses)
            if submitted is not None:
                return submitted
            self.messages.append({"role": "user", "content": results})
        raise TurnLimitReached(
            f"{self.agent.name}: no valid submit_result within {self.brain.max_turns} model turns"
        )

    def _call(self) -> Any:
        started = time.perf_counter()
        try:
            response = self.brain.client.messages.create(
                model=self.brain.model,
                max_tokens=self.brain.max_tokens,
                system=self.system,
                tools=self.tool_defs,
                messages=self.messages,
            )
        except anthropic.APIError as error:
            message = f"{self.agent.name}: Claude API call failed: {type(error).__name__}: {error}"
            self.brain.report(self._wire(self.brain.model, started, error=message))
            raise ModelCallFailed(message) from error
        usage = response.usage
        call = self._wire(getattr(response, "model", None) or self.brain.model, started)
        self.brain.report(
            call.model_copy(
                update={
                    "stop_reason": response.stop_reason,
                    "input_tokens": usage.input_tokens or 0,
                    "output_tokens": usage.output_tokens or 0,
                    "cache_creation_input_tokens": usage.cache_creation_input_tokens or 0,
                    "cache_read_input_tokens": usage.cache_read_input_tokens or 0,
                    "response": [block.model_dump(mode="json") for block in response.content],
                }
            )
        )
        return response

    def _wire(self, model: str, started: float, error: str | None = None) -> ModelCall:
        """The call as the record keeps it: digests of system, tools and request, and the new turns."""
        request = {
            "model": self.brain.model,
            "max_tokens": self.brain.max_tokens,
            "system": self.system,
            "tools": self.tool_defs,
            "messages": self.messages,
        }
        offset, self.reported = self.reported, len(self.messages)
        return ModelCall(
            agent=self.agent.name,
            model=model,
            duration_ms=(time.perf_counter() - started) * 1000,
            system_sha256=_digest(self.system),
            tools_sha256=_digest(self.tool_defs),
            request_sha256=_digest(request),
            message_offset=offset,
            messages=json.loads(json.dumps(self.messages[offset:], default=str)),
            error=error,
        )

    def _answer(self, uses: list[Any]) -> tuple[list[ToolResultBlockParam], BaseModel | None]:
        """A tool_result for every tool_use, in order; the accepted submission if there was one."""
        results: list[ToolResultBlockParam] = []
        for use in uses:
            arguments = use.input if isinstance(use.input, dict) else {"input": use.input}
            if use.name != SUBMIT_TOOL:
                outcome = self.tools.call(use.name, arguments)
                results.append(tool_result(use.id, outcome.content, outcome.is_error))
                continue
            try:
                accepted = self.agent.result_model.model_validate(arguments)
            except ValidationError as error:
                self._reject(error)
                results.append(tool_result(use.id, f"invalid result, not accepted: {error}", True))
                continue
            return results, accepted
        return results, None

    def _reject(self, error: ValidationError) -> None:
        self.invalid_submissions += 1
        if self.invalid_submissions > self.brain.max_invalid_submissions:
            raise SubmissionRejected(
                f"{self.agent.name}: {self.invalid_submissions} submissions failed validation against "
                f"{self.agent.result_model.__name__}; the last one: {error}"
            )


def _digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (sorted keys, no whitespace): zdt.record.canonical's form."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
