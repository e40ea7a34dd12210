"""Agent fixtures: the same civic schema and planning ToolContext the tool tests use."""

from tests.tools.conftest import civic_url, staging_url, tool_context

__all__ = ["civic_url", "staging_url", "tool_context"]
