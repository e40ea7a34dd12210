"""The mechanics behind build.py: route maps, extra nodes spliced into success paths, validation.

Why separate: build.py should read as the session's story, one line per node with where each outcome
leads. How an outcome becomes an edge, how an extra node is threaded in, and what happens after every
node (the scratchpads' checklists are brought up to date with what it found) lives here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.errors import GraphBubbleUp, GraphInterrupt
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from zdt.graph import recording
from zdt.graph.checklists import merged, refresh_checklists
from zdt.graph.context import SessionContext
from zdt.graph.extra import NO_EXTRA_AFTER, ExtraNode, ExtraNodeError
from zdt.graph.progress import Progress
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate

RouteMap = Mapping[Route, str]

#: A built-in node: ``(state)`` or ``(state, runtime)``, returning the keys it changed.
NodeFunction = Callable[..., SessionUpdate]


@dataclass(frozen=True)
class _Node:
    name: str
    function: Callable[..., Mapping[str, Any]]  # a NodeFunction, or an extra node's wrapper
    routes: RouteMap


class Wiring:
    """Collects the nodes and their route maps, then builds the StateGraph in one go."""

    def __init__(self, extra_nodes: Sequence[ExtraNode]) -> None:
        self._extra = list(extra_nodes)
        self._nodes: list[_Node] = []
        self._entry: str | None = None

    def start(self, name: str) -> None:
        self._entry = name

    def node(self, name: str, function: NodeFunction, routes: RouteMap) -> None:
        self._nodes.append(_Node(name, function, dict(routes)))

    def build(self) -> StateGraph[SessionState, SessionContext, SessionState, SessionState]:
        nodes = self._with_extra_nodes()
        graph: StateGraph[SessionState, SessionContext, SessionState, SessionState] = StateGraph(
            SessionState, context_schema=SessionContext
        )
        for node in nodes:
            graph.add_node(node.name, _step(node.name, node.function))
        assert self._entry is not None, "call start() first"
        graph.add_edge(START, self._entry)
        for node in nodes:
            destinations = set(node.routes.values())
            if len(destinations) == 1:
                graph.add_edge(node.name, destinations.pop())
            else:
                path_map: dict[Any, str] = {route.value: dest for route, dest in node.routes.items()}
                graph.add_conditional_edges(node.name, _router(node.name, node.routes), path_map)
        return graph

    def _with_extra_nodes(self) -> list[_Node]:
        """Splice every extra node into the NEXT path of its anchor, in the order given."""
        nodes = {node.name: node for node in self._nodes}
        order = [node.name for node in self._nodes]
        for extra in self._extra:
            if extra.name in nodes:
                raise ExtraNodeError(f"a node named {extra.name!r} already exists")
            if extra.after in NO_EXTRA_AFTER:
                raise ExtraNodeError(
                    f"nothing may run between {extra.after!r} and the production step ({extra.name!r})"
                )
            anchor = nodes.get(extra.after)
            if anchor is None:
                raise ExtraNodeError(f"{extra.name!r} attaches after {extra.after!r}, which is not a node")
            chained = _Node(
                extra.name,
                _extra_node(extra),
                {Route.NEXT: anchor.routes[Route.NEXT], Route.STOP: END},
            )
            nodes[extra.after] = _Node(
                anchor.name, anchor.function, {**anchor.routes, Route.NEXT: extra.name}
            )
            nodes[extra.name] = chained
            order.insert(order.index(extra.after) + 1, extra.name)
        return [nodes[name] for name in order]


def _router(name: str, routes: RouteMap) -> Callable[[SessionState], str]:
    allowed = {route.value for route in routes}

    def route_of(state: SessionState) -> str:
        if state.route not in allowed:
            raise RuntimeError(f"node {name!r} ended with route {state.route!r}; it may only use {allowed}")
        return state.route

    route_of.__name__ = f"after_{name}"
    return route_of


def _step(name: str, function: Callable[..., Mapping[str, Any]]) -> Callable[..., Mapping[str, Any]]:
    """Run the node, record the step (zdt.graph.recording), then rewrite the checklists of the session's
    documents from the state it leaves.

    A node interrupted for a person (approval, deploy gate) raises before this, and runs again on
    resume: the record says it waits, and records the decision when it comes. The checklists are a
    report: failing to write them is a note, never a failed session.
    """
    wants_runtime = len(inspect.signature(function).parameters) >= 2

    def run(state: SessionState, runtime: Runtime[SessionContext]) -> Mapping[str, Any]:
        recorder = runtime.context.recorder
        if recorder is not None:
            recording.node_started(recorder, name, state)
        try:
            update = function(state, runtime) if wants_runtime else function(state)
        except GraphInterrupt as waiting:
            if recorder is not None:
                recording.node_waiting(recorder, name, _question(waiting))
            raise
        except GraphBubbleUp:
            raise
        except Exception as error:
            if recorder is not None:
                recording.node_failed(recorder, name, error)
            raise
        if recorder is not None:
            update = recording.node_finished(recorder, name, state, update or {})
        try:
            refresh_checklists(merged(state, update or {}), runtime.context.session_dir(state.session_id))
        except (OSError, ValueError) as error:
            Progress("checklists")("note", reason=f"the checklists could not be updated: {error}")
        return update

    run.__name__ = name
    return run


def _extra_node(extra: ExtraNode) -> Callable[..., dict[str, Any]]:
    """Wrap an extra node: progress lines, and a stop that marks the session failed.

    Why ``dict[str, Any]`` and not SessionUpdate: the function comes from a plugin loaded at run time
    (entry point ``zdt.nodes``), outside this package's type check, and may return None or any mapping.
    Calling its result a SessionUpdate would claim a check that never ran. (LangGraph drops keys that
    are not state fields; the values are validated as SessionState when the next node reads the state.)
    """
    wants_runtime = len(inspect.signature(extra.function).parameters) >= 2

    def run(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
        progress = Progress(extra.name)
        progress("started")
        result = extra.function(state, runtime) if wants_runtime else extra.function(state)
        update = dict(result or {})
        if runtime.context.recorder is not None:
            recording.extra_node(runtime.context.recorder, extra.name, state, update)
        update.setdefault("route", Route.NEXT.value)
        if update["route"] == Route.STOP.value:
            update.setdefault("status", SessionStatus.FAILED.value)
            update.setdefault("error", f"stopped by {extra.name}")
        progress("finished", route=update["route"])
        return update

    run.__name__ = extra.name
    return run


def _question(waiting: GraphInterrupt) -> Any:
    """The value the node asked with (LangGraph's GraphInterrupt carries the Interrupt objects)."""
    interrupts = waiting.args[0] if waiting.args else ()
    first = interrupts[0] if isinstance(interrupts, list | tuple) and interrupts else None
    return getattr(first, "value", None)
