"""Live progress from inside nodes: who is working, each tool call, each executor step.

Why a stream writer and not prints: the graph does not know who is watching. The CLI subscribes with
``stream_mode="custom"`` and draws the lines; a test reads the same events as data. Every event is a
JSON-safe dict ``{"agent": ..., "event": ..., **details}``.

The writer is captured when a :class:`Progress` is made (inside the node, where LangGraph's context is
set) so that callbacks run from other threads (the monitor's sampler) can still report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.config import get_stream_writer

from zdt.executor import ExecutionEvent
from zdt.tools.base import ToolCall

Writer = Callable[[Any], None]


def _current_writer() -> Writer:
    try:
        return get_stream_writer()
    except RuntimeError:  # called outside a graph run (a node under a unit test): report nowhere
        return lambda _chunk: None


class Progress:
    """Reports one agent's progress to whoever streams the graph."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self._write = _current_writer()

    def __call__(self, event: str, **details: Any) -> None:
        self._write({"agent": self.agent, "event": event, **details})

    def tool_call(self, call: ToolCall) -> None:
        """A ToolBox observer: one line per tool call, with its outcome and duration."""
        self._write(
            {
                "agent": call.agent,
                "event": "tool",
                "tool": call.tool,
                "ok": not call.result.is_error,
                "ms": round(call.duration_ms, 1),
            }
        )

    def execution_event(self, event: ExecutionEvent) -> None:
        """An executor observer: every step started, done, retried, failed, undone."""
        details = {
            "step": event.step_id,
            "message": event.message,
            "elapsed_s": event.elapsed_s,
            "rows": event.rows,
            "total_rows": event.total_rows,
        }
        self(f"executor.{event.kind.value}", **{k: v for k, v in details.items() if v not in (None, "")})
