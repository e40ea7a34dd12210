"""Messages API wire shapes for the tool loop: the submit tool, cached system/tools, tool_result blocks.

Kept apart from the loop so the exact JSON a model receives can be read (and tested) in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

if TYPE_CHECKING:  # TypedDicts, for the type checker: the SDK is imported when the Claude brain runs
    from anthropic.types import (
        CacheControlEphemeralParam,
        ContentBlockParam,
        TextBlockParam,
        ToolParam,
        ToolResultBlockParam,
    )

SUBMIT_TOOL = "submit_result"
EPHEMERAL: CacheControlEphemeralParam = {"type": "ephemeral"}


def submit_tool(result_model: type[BaseModel]) -> ToolParam:
    """The tool a model must call to finish: its input schema is the agent's result model."""
    return {
        "name": SUBMIT_TOOL,
        "description": (
            "Submit your final result. Call it exactly once, when you are done; its input must match the "
            "schema. If it comes back as an error, correct what the error names and call it again."
        ),
        "input_schema": result_model.model_json_schema(),
    }


def cached_system(text: str) -> list[TextBlockParam]:
    return [{"type": "text", "text": text, "cache_control": EPHEMERAL}]


def cached_tools(tools: list[ToolParam]) -> list[ToolParam]:
    """The tool list with a cache breakpoint on the last one, which caches every tool before it."""
    if not tools:
        return tools
    return [*tools[:-1], {**tools[-1], "cache_control": EPHEMERAL}]


def tool_result(tool_use_id: str, content: str, is_error: bool) -> ToolResultBlockParam:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": content, "is_error": is_error}


def assistant_blocks(content: list[Any]) -> list[ContentBlockParam]:
    """The assistant turn to append, as request params (not the response objects themselves)."""
    blocks: list[ContentBlockParam] = []
    for block in content:
        if block.type == "text":
            blocks.append({"type": "text", "text": block.text})
        elif block.type == "tool_use":
            blocks.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
        else:  # thinking and other blocks go back verbatim, as the API requires
            # A response block's JSON is the request param of the same type (thinking, redacted_thinking).
            blocks.append(cast("ContentBlockParam", block.model_dump(mode="json", exclude_none=True)))
    return blocks
