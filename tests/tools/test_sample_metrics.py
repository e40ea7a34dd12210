"""sample_metrics on a real server: a short burst of zdt.monitor's sampler, query texts blanked."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.tools.lock_wait import queued_reader
from zdt.tools import ToolContext, build_toolbox
from zdt.tools.metrics import SOURCE


def _sample(ctx: ToolContext) -> dict:
    result = build_toolbox("monitor", ctx).call("sample_metrics", {})
    assert not result.is_error, result.content
    return json.loads(result.content)


def test_burst(tool_context: ToolContext) -> None:
    data = _sample(tool_context)
    assert data["source"] == SOURCE
    assert len(data["samples"]) >= 3
    assert data["baseline_ms"] is not None and data["baseline_ms"] > 0
    assert all(sample["connection_error"] is None for sample in data["samples"])
    assert all(s["connections"] >= 1 and s["max_connections"] >= s["connections"] for s in data["samples"])
    assert all(sample["lock_waits"] == [] for sample in data["samples"])


def test_sees_a_lock_wait_without_query_texts(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url):
        data = _sample(tool_context)
    waits = [wait for sample in data["samples"] for wait in sample["lock_waits"]]
    assert waits and all(wait["query"] == "" for wait in waits)
    assert all(blocker["query"] == "" for sample in data["samples"] for blocker in sample["blockers"])


def test_connection_errors_are_scrubbed(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://m:pw-4242@127.0.0.1:1/none")
    data = _sample(ctx)
    assert data["samples"] and all(sample["connection_error"] for sample in data["samples"])
    assert "pw-4242" not in json.dumps(data)


def test_no_staging_is_an_error(tool_context: ToolContext) -> None:
    result = build_toolbox("monitor", tool_context).call("sample_metrics", {"database": "staging"})
    assert result.is_error and "this session has no staging database" in result.content
