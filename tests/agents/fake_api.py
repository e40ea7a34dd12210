"""A local fake of the Anthropic Messages API, served to the REAL SDK through httpx2.MockTransport.

Each model turn is a function of the request body (so a fake model can read the tool results it was
sent) returning a wire-format response; every request is kept, parsed, for assertions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

Turn = Callable[[dict[str, Any]], "Reply"]


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def usage(
    input_tokens: int = 100, output_tokens: int = 20, created: int = 0, read: int = 0
) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
    }


def tool_use(name: str, arguments: Any, use_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": arguments}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def message(*content: dict[str, Any], stop_reason: str | None = None, **usage_args: int) -> Reply:
    reason = stop_reason or ("tool_use" if any(c["type"] == "tool_use" for c in content) else "end_turn")
    return Reply(
        body={
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-fake",
            "content": list(content),
            "stop_reason": reason,
            "stop_sequence": None,
            "usage": usage(**usage_args),
        }
    )


def error(status: int, kind: str, retry_after_ms: str = "1") -> Reply:
    return Reply(
        status=status,
        body={"type": "error", "error": {"type": kind, "message": f"fake {kind}"}},
        headers={"retry-after-ms": retry_after_ms},
    )


def says(reply: Reply) -> Turn:
    return lambda _request: reply


class FakeMessagesAPI:
    """Serves the scripted turns in order; fails loudly if the SDK asks for more."""

    def __init__(self, *turns: Turn) -> None:
        self.turns = list(turns)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages", request.url
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if not self.turns:
            raise AssertionError(f"the fake model has no turn left for request {len(self.requests)}")
        reply = self.turns.pop(0)(body)
        return httpx2.Response(reply.status, json=reply.body, headers=reply.headers)

    def client(self, max_retries: int = 0) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key="test-key-not-secret",
            base_url="http://fake.local",
            max_retries=max_retries,
            http_client=httpx2.Client(transport=httpx2.MockTransport(self.handler)),
        )


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of the request's last (user) message."""
    last = request["messages"][-1]
    assert last["role"] == "user"
    return [block for block in last["content"] if isinstance(block, dict) and block["type"] == "tool_result"]
