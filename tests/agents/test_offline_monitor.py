"""MonitorAgent.offline on a real server: zdt.monitor's judgement when installed, the built-in one else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.tools.lock_wait import queued_reader
from zdt.agents import MonitorAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.agents.monitor_rules import MonitorThresholds, judge
from zdt.tools import ToolContext, build_toolbox, monitor_library

UNREACHABLE = "postgresql://mon:pw-77@127.0.0.1:1/none"


@pytest.fixture
def builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_library, "load", lambda: None)


@pytest.fixture
def library() -> None:
    if monitor_library.load() is None:
        pytest.skip("the monitor library (zdt.monitor) is not installed")


def _watch(ctx: ToolContext, **context: object):
    tools = build_toolbox("monitor", ctx)
    return run_agent(MonitorAgent(), {"session_id": "s", **context}, OfflineBrain(), tools)


def _sample(**values: Any) -> dict[str, Any]:
    base = {
        "at": "2026-11-01T00:00:00+00:00",
        "connections": 5,
        "max_connections": 100,
        "active": 1,
        "idle_in_transaction": 0,
        "waiting_on_locks": 0,
        "longest_lock_wait_s": 0.0,
        "longest_query_s": 0.0,
        "xact_commit": 1000,
        "xact_rollback": 0,
        "deadlocks": 0,
    }
    return base | values


@pytest.mark.usefixtures("library")
def test_library_idle_database_is_ok(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context, baseline_latency_ms=5.0)
    assert verdict.level == "ok", verdict
    assert "[monitor] monitor ok" in (tool_context.scratchpad_dir / "MIGRATION-LOG.md").read_text()


@pytest.mark.usefixtures("library")
def test_library_lock_wait_is_not_ok(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url, settle_s=0.6):
        verdict = _watch(tool_context)
    assert verdict.level in ("throttle", "critical")
    assert any("lock" in reason for reason in verdict.reasons), verdict.reasons


@pytest.mark.usefixtures("library")
def test_library_unreachable_is_critical(tool_context: ToolContext) -> None:
    verdict = _watch(replace(tool_context, target_url=UNREACHABLE))
    assert verdict.level == "critical"
    assert "pw-77" not in verdict.summary + "".join(verdict.reasons)


@pytest.mark.usefixtures("library")
def test_library_thresholds_override(tool_context: ToolContext) -> None:
    verdict = _watch(
        tool_context, thresholds={"connection_use_throttle": 0.0, "connection_use_critical": None}
    )
    assert verdict.level == "throttle", verdict


@pytest.mark.usefixtures("builtin")
def test_builtin_idle_database_is_ok(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context)
    assert verdict.level == "ok" and verdict.reasons == []


@pytest.mark.usefixtures("builtin")
def test_builtin_error_rate_over_two_percent_is_critical(tool_context: ToolContext) -> None:
    baseline = _sample(xact_commit=10_000, xact_rollback=0)
    spike = _sample(xact_commit=10_900, xact_rollback=100)
    verdict = _watch(replace(tool_context, target_url=UNREACHABLE), baseline=baseline, samples=[spike])
    assert verdict.level == "critical"
    assert any("error rate 10.0% (100 of 1000 transactions rolled back)" in r for r in verdict.reasons)


@pytest.mark.usefixtures("builtin")
def test_builtin_thresholds_can_be_overridden(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context, thresholds={"connections_throttle": 0.0001})
    assert verdict.level == "throttle" and verdict.reasons[0].startswith("connections ")


@pytest.mark.usefixtures("builtin")
def test_builtin_unreachable_database_is_critical(tool_context: ToolContext) -> None:
    verdict = _watch(replace(tool_context, target_url=UNREACHABLE))
    assert verdict.level == "critical" and verdict.reasons[0].startswith("sampling failed")
    assert "pw-77" not in verdict.summary


@pytest.mark.usefixtures("builtin")
def test_builtin_lock_wait_is_seen(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url, settle_s=1.1):
        verdict = _watch(tool_context)
    assert verdict.level == "throttle" and "a session waits" in verdict.reasons[0]


def test_builtin_rules() -> None:
    t = MonitorThresholds()
    assert judge([_sample(longest_lock_wait_s=2.0)], None, t) == (
        "throttle",
        ["a session waits 2.0s on a lock"],
    )
    level, reasons = judge([_sample(longest_lock_wait_s=6.0, waiting_on_locks=25)], None, t)
    assert level == "critical" and "25 sessions waiting on locks" in reasons
    assert judge([_sample(connections=96)], None, t)[0] == "critical"
    assert judge([_sample(longest_query_s=9.0)], _sample(longest_query_s=2.0), t)[0] == "throttle"
    assert judge([], None, t)[0] == "critical"
