"""SessionUpdate stays in step with SessionState, and every built-in node is declared to return one.

Why: LangGraph drops a returned key that is not a state field without a word, so the TypedDict mypy
checks the nodes against must name real fields with their real types; a field added to SessionState
that nodes may write must be added to SessionUpdate too (or to the set fixed at the start below).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import get_type_hints

import pytest

import zdt.graph.nodes
from zdt.graph.build import build_graph
from zdt.graph.state import SessionState, SessionUpdate

#: Written once by zdt.graph.runner.initial_state; no node may change them.
SET_AT_START = {"session_id", "brain", "brain_mode", "request", "created_at"}
NODE_MODULES = sorted(info.name for info in pkgutil.iter_modules(zdt.graph.nodes.__path__))


def test_session_update_names_exactly_the_writable_fields_with_their_types() -> None:
    hints = get_type_hints(SessionUpdate)
    assert set(hints) == set(SessionState.model_fields) - SET_AT_START
    for key, hint in hints.items():
        assert hint == SessionState.model_fields[key].annotation, key
    assert not SessionUpdate.__required_keys__  # total=False: a node returns only what it changed


def test_the_graph_runs_exactly_the_node_modules() -> None:
    """So the parametrized check below covers every node the builder wires."""
    assert set(build_graph().nodes) == set(NODE_MODULES)


@pytest.mark.parametrize("name", NODE_MODULES)
def test_every_node_returns_a_session_update(name: str) -> None:
    """Each module in zdt/graph/nodes defines the node named after it, typed ``-> SessionUpdate``."""
    module = importlib.import_module(f"zdt.graph.nodes.{name}")
    assert get_type_hints(getattr(module, name))["return"] is SessionUpdate
