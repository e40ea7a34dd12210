"""Typed tools the agents call, behind one seam (ToolBox.call).

``build_toolbox(agent_name, tool_context, observers)`` gives an agent its tool set; ``ToolContext``
carries the connection strings and the environment (they never reach state, prompts or tool output).
"""

from zdt.tools.base import CallObserver, Tool, ToolBox, ToolCall, ToolError, ToolResult
from zdt.tools.context import DatabaseRole, Environment, ToolContext
from zdt.tools.registry import AGENT_TOOLS, build_toolbox

__all__ = [
    "AGENT_TOOLS",
    "CallObserver",
    "DatabaseRole",
    "Environment",
    "Tool",
    "ToolBox",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "build_toolbox",
]
