"""An extra node as a plugin would publish it (entry point ``zdt.nodes``), used by test_extra_nodes."""

from __future__ import annotations

from typing import Any

from zdt.graph.extra import ExtraNode
from zdt.graph.state import SessionState, log_entry


def announce(state: SessionState) -> dict[str, Any]:
    steps = len((state.plan or {}).get("steps", []))
    return {"log": log_entry("announce", f"rehearsed {steps} steps; asking for approval next")}


NODE = ExtraNode(name="announce", function=announce, after="rehearse")


def make_node() -> ExtraNode:
    return ExtraNode(name="audit", function=lambda state: None, after="done")
