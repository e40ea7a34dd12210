"""Typed tools the agents call, behind one seam (ToolBox.call)."""

from zdt.tools.base import CallObserver, Tool, ToolBox, ToolCall, ToolError, ToolResult

__all__ = ["CallObserver", "Tool", "ToolBox", "ToolCall", "ToolError", "ToolResult"]
