"""sample_metrics on a real server, through zdt.monitor's sampler when installed and the built-in query."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.tools.lock_wait import queued_reader
from zdt.tools import ToolContext, build_toolbox, monitor_library
from zdt.tools.metrics import BUILTIN, LIBRARY


@pytest.fixture
def builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_library, "load", lambda: None)


@pytest.fixture
def library() -> None:
    if monitor_library.load() is None:
        pytest.skip("the monitor library (zdt.monitor) is not installed")


def _sample(ctx: ToolContext) -> dict:
    result = build_toolbox("monitor", ctx).call("sample_metrics", {})
    assert not result.is_error, result.content
    return json.loads(result.content)


@pytest.mark.usefixtures("builtin")
def test_builtin_sample(tool_context: ToolContext) -> None:
    data = _sample(tool_context)
    assert data["source"] == BUILTIN
    (sample,) = data["samples"]
    assert sample["connections"] >= 1 and sample["max_connections"] >= sample["connections"]
    assert sample["waiting_on_locks"] == 0


@pytest.mark.usefixtures("builtin")
def test_builtin_sample_sees_a_lock_wait(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url):
        (sample,) = _sample(tool_context)["samples"]
    assert sample["waiting_on_locks"] == 1


@pytest.mark.usefixtures("builtin")
def test_builtin_unreachable_is_an_error_without_password(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://m:pw-4242@127.0.0.1:1/none")
    result = build_toolbox("monitor", ctx).call("sample_metrics", {})
    assert result.is_error and "pw-4242" not in result.content


@pytest.mark.usefixtures("library")
def test_library_burst(tool_context: ToolContext) -> None:
    data = _sample(tool_context)
    assert data["source"] == LIBRARY
    assert len(data["samples"]) >= 3
    assert data["baseline_ms"] is not None and data["baseline_ms"] > 0
    assert all(sample["connection_error"] is None for sample in data["samples"])


@pytest.mark.usefixtures("library")
def test_library_sees_a_lock_wait_without_query_texts(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url):
        data = _sample(tool_context)
    waits = [wait for sample in data["samples"] for wait in sample["lock_waits"]]
    assert waits and all(wait["query"] == "" for wait in waits)
    assert all(blocker["query"] == "" for sample in data["samples"] for blocker in sample["blockers"])


@pytest.mark.usefixtures("library")
def test_library_connection_errors_are_scrubbed(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://m:pw-4242@127.0.0.1:1/none")
    data = _sample(ctx)
    assert data["samples"] and all(sample["connection_error"] for sample in data["samples"])
    assert "pw-4242" not in json.dumps(data)
