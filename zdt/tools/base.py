"""Tools: plain typed functions both brains call, behind one seam.

Every tool call goes through :meth:`ToolBox.call`, every model call through a :class:`Brain`; the
session recorder (zdt.record) observes both through their ``observers`` hooks. A tool never raises into
the graph: errors come back as ``ToolResult(is_error=True)`` so a model can read them and try again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:  # a TypedDict: the Claude SDK is imported only when the Claude brain runs
    from anthropic.types import ToolParam


class ToolResult(BaseModel):
    """What a tool returns to the model: text content, and whether it is an error."""

    content: str
    is_error: bool = False


class ToolCall(BaseModel):
    """One call as the seam saw it (for recorders and the live view)."""

    agent: str
    tool: str
    input: dict[str, Any]
    result: ToolResult
    duration_ms: float


class CallObserver(Protocol):
    def __call__(self, call: ToolCall) -> None: ...


@dataclass(frozen=True)
class Tool:
    """A named, described function with a pydantic input model (its JSON schema is what a model sees)."""

    name: str
    description: str
    input_model: type[BaseModel]
    function: Callable[[Any], str | BaseModel | dict[str, Any] | list[Any]]

    def schema(self) -> ToolParam:
        """The Anthropic Messages API tool definition."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_model.model_json_schema(),
        }


class ToolError(Exception):
    """A failure a tool reports to the model as an is_error result (bad input, refused SQL, ...)."""


@dataclass
class ToolBox:
    """The tools one agent may use, and the single place every call passes through."""

    agent: str
    tools: dict[str, Tool] = field(default_factory=dict)
    observers: list[CallObserver] = field(default_factory=list)

    def add(self, tool: Tool) -> None:
        self.tools[tool.name] = tool

    def schemas(self) -> list[ToolParam]:
        return [tool.schema() for tool in self.tools.values()]

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        started = time.perf_counter()
        result = self._call(name, arguments)
        call = ToolCall(
            agent=self.agent,
            tool=name,
            input=arguments,
            result=result,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        for observer in self.observers:
            observer(call)
        return result

    def _call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult(
                content=f"unknown tool {name!r}; available: {', '.join(self.tools)}", is_error=True
            )
        try:
            parsed = tool.input_model.model_validate(arguments)
        except ValidationError as error:
            return ToolResult(content=f"invalid input for {name}: {error}", is_error=True)
        try:
            output = tool.function(parsed)
        except ToolError as error:
            return ToolResult(content=str(error), is_error=True)
        except Exception as error:  # a tool bug must not crash the graph; the model sees what happened
            return ToolResult(content=f"{name} failed: {type(error).__name__}: {error}", is_error=True)
        return ToolResult(content=_as_text(output))


def _as_text(output: str | BaseModel | dict[str, Any] | list[Any]) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, BaseModel):
        return output.model_dump_json(indent=2)
    return json.dumps(output, indent=2, default=str)
