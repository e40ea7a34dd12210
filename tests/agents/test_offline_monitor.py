"""MonitorAgent.offline: a real sample judged against thresholds, deterministic reasons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zdt.agents import MonitorAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.tools import ToolContext, build_toolbox


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


def test_idle_database_is_ok(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context)
    assert verdict.level == "ok" and verdict.reasons == []
    assert "[monitor] monitor ok" in (tool_context.scratchpad_dir / "MIGRATION-LOG.md").read_text()


def test_error_rate_over_two_percent_is_critical(tool_context: ToolContext) -> None:
    baseline = _sample(xact_commit=10_000, xact_rollback=0)
    spike = _sample(xact_commit=10_900, xact_rollback=100)
    verdict = MonitorAgent().offline(
        {"session_id": "s", "baseline": baseline, "samples": [spike]}, _failing_sampler(tool_context)
    )
    assert verdict.level == "critical"
    assert any("error rate 10.0% (100 of 1000 transactions rolled back)" in r for r in verdict.reasons)


def test_lock_waits_throttle_then_critical() -> None:
    from zdt.agents.monitor_rules import MonitorThresholds, judge

    t = MonitorThresholds()
    assert judge([_sample(longest_lock_wait_s=2.0)], None, t) == (
        "throttle",
        ["a session waits 2.0s on a lock"],
    )
    level, reasons = judge([_sample(longest_lock_wait_s=6.0, waiting_on_locks=25)], None, t)
    assert level == "critical" and "25 sessions waiting on locks" in reasons
    assert judge([_sample(connections=96)], None, t)[0] == "critical"
    assert judge([_sample(longest_query_s=9.0)], _sample(longest_query_s=2.0), t)[0] == "throttle"


def test_thresholds_can_be_overridden(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context, thresholds={"connections_throttle": 0.0001})
    assert verdict.level == "throttle" and verdict.reasons[0].startswith("connections ")


def test_unreachable_database_is_critical(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://mon:pw-77@127.0.0.1:1/none")
    verdict = _watch(ctx)
    assert verdict.level == "critical" and verdict.reasons[0].startswith("sampling failed")
    assert "pw-77" not in verdict.summary


def _failing_sampler(ctx: ToolContext):
    """The monitor's tools on an unreachable server: the verdict then rests on the given samples."""
    return build_toolbox("monitor", replace(ctx, target_url="postgresql://x@127.0.0.1:1/none"))
