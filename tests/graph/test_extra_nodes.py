"""Extra nodes attach after a named node, run on its success path, and are found through entry points.

Why: later issues (and other teams) add steps — a notification, an audit, a ticket — without editing the
builder. They must not be able to open a path into ``execute`` that skips the approval.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from tests.graph.conftest import Harness
from tests.graph.sample_plugin import NODE
from zdt.graph.build import build_graph
from zdt.graph.extra import ENTRY_POINT_GROUP, ExtraNode, ExtraNodeError, discover_extra_nodes


def test_an_extra_node_attaches_after_its_anchor_and_runs(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    harness = Harness(target_url, staging_url, tmp_path, extra_nodes=[NODE])
    waiting = harness.start("ALTER TABLE users ADD COLUMN nickname text;")

    assert harness.nodes_run()[2:5] == ["rehearse", "announce", "compatibility"]
    assert any(entry["node"] == "announce" for entry in waiting.values["log"])
    assert {"agent": "announce", "event": "started"} in harness.progress("announce")
    assert harness.approve().status == "done"


def test_an_extra_node_can_stop_the_session(target_url: str, staging_url: str, tmp_path: Path) -> None:
    def veto(_state: Any) -> dict[str, Any]:
        return {"route": "stop", "error": "change freeze until Monday"}

    harness = Harness(target_url, staging_url, tmp_path, [ExtraNode("freeze", veto, after="plan_gate")])
    ended = harness.start("ALTER TABLE users ADD COLUMN nickname text;")

    assert ended.status == "failed" and ended.values["error"] == "change freeze until Monday"
    assert "rehearse" not in harness.nodes_run()


def test_nothing_may_sit_between_the_approval_and_production() -> None:
    with pytest.raises(ExtraNodeError, match="production step"):
        build_graph([ExtraNode("sneaky", lambda state: {}, after="approval")])
    with pytest.raises(ExtraNodeError, match="not a node"):
        build_graph([ExtraNode("lost", lambda state: {}, after="nowhere")])
    with pytest.raises(ExtraNodeError, match="already exists"):
        build_graph([ExtraNode("verify", lambda state: {}, after="rehearse")])


def test_only_the_approval_leads_to_execute() -> None:
    graph = build_graph([NODE]).compile().get_graph()
    into_execute = {edge.source for edge in graph.edges if edge.target == "execute"}
    assert into_execute == {"approval"}


def test_plugins_are_discovered_through_entry_points() -> None:
    points = [
        EntryPoint(name="b-audit", value="tests.graph.sample_plugin:make_node", group=ENTRY_POINT_GROUP),
        EntryPoint(name="a-announce", value="tests.graph.sample_plugin:NODE", group=ENTRY_POINT_GROUP),
    ]
    found = discover_extra_nodes(points)

    assert [node.name for node in found] == ["announce", "audit"]
    assert [node.after for node in found] == ["rehearse", "done"]
    assert discover_extra_nodes() == [], "nothing installed publishes zdt.nodes in the test environment"
