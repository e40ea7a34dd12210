"""Extra nodes: steps a user or a plugin adds to the session without editing the builder.

Why "after a named node": the graph's routing is the safety argument (nothing reaches ``execute``
without an approval), so an extra node may not choose its own edges. It is spliced into the success
path of the node it follows: ``after="rehearse"`` runs it once the rehearsal passed, and then carries
on to wherever ``rehearse`` would have gone. Failure paths are untouched.

Plugins publish an :class:`ExtraNode` (or a function returning one) under the entry-point group
``zdt.nodes``; :func:`discover_extra_nodes` loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

ENTRY_POINT_GROUP = "zdt.nodes"

#: Nodes after which nothing may be spliced in: the approval leads straight to the production step.
NO_EXTRA_AFTER = frozenset({"approval", "deploy_gate", "release_check"})


@dataclass(frozen=True)
class ExtraNode:
    """A node ``function(state, runtime) -> update`` run after the node named ``after`` succeeded.

    It may return ``{"route": "stop", "error": ...}`` to end the session (status failed). The update
    should be a ``zdt.graph.state.SessionUpdate``; ``function`` is typed loosely (any callable, any
    return, None included) because plugins are loaded from entry points at run time and are type-checked,
    if at all, in their own package (the wrapper in zdt.graph.wiring fills in the route).
    """

    name: str
    function: Callable[..., Any]
    after: str


class ExtraNodeError(ValueError):
    """An extra node cannot be attached (unknown anchor, duplicate name, forbidden place)."""


def discover_extra_nodes(points: Iterable[EntryPoint] | None = None) -> list[ExtraNode]:
    """Load every ExtraNode published under ``zdt.nodes`` (an ExtraNode, or a callable returning one)."""
    found = entry_points(group=ENTRY_POINT_GROUP) if points is None else points
    nodes = []
    for point in sorted(found, key=lambda p: p.name):
        loaded = point.load()
        node = loaded if isinstance(loaded, ExtraNode) else loaded()
        if not isinstance(node, ExtraNode):
            raise ExtraNodeError(
                f"entry point {point.name!r} ({point.value}) gave {node!r}, not an ExtraNode"
            )
        nodes.append(node)
    return nodes
