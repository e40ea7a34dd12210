"""MonitorAgent.offline on a real server: a fresh burst of zdt.monitor samples, judged by zdt.monitor."""

from __future__ import annotations

from dataclasses import replace

from tests.tools.lock_wait import queued_reader
from zdt.agents import MonitorAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.tools import ToolContext, build_toolbox

UNREACHABLE = "postgresql://mon:pw-77@127.0.0.1:1/none"


def _watch(ctx: ToolContext, **context: object):
    tools = build_toolbox("monitor", ctx)
    return run_agent(MonitorAgent(), {"session_id": "s", **context}, OfflineBrain(), tools)


def test_idle_database_is_ok(tool_context: ToolContext) -> None:
    verdict = _watch(tool_context, baseline_latency_ms=5.0)
    assert verdict.level == "ok", verdict
    assert "[monitor] monitor ok" in (tool_context.scratchpad_dir / "MIGRATION-LOG.md").read_text()


def test_lock_wait_is_not_ok(tool_context: ToolContext) -> None:
    with queued_reader(tool_context.target_url, settle_s=0.6):
        verdict = _watch(tool_context)
    assert verdict.level in ("throttle", "critical")
    assert any("lock" in reason for reason in verdict.reasons), verdict.reasons


def test_unreachable_is_critical(tool_context: ToolContext) -> None:
    verdict = _watch(replace(tool_context, target_url=UNREACHABLE))
    assert verdict.level == "critical"
    assert "pw-77" not in verdict.summary + "".join(verdict.reasons)


def test_thresholds_override(tool_context: ToolContext) -> None:
    verdict = _watch(
        tool_context, thresholds={"connection_use_throttle": 0.0, "connection_use_critical": None}
    )
    assert verdict.level == "throttle", verdict


def test_application_error_rate_over_two_percent_in_earlier_samples_is_critical(
    tool_context: ToolContext,
) -> None:
    earlier = {"elapsed_s": 0.0, "step": "backfill", "app_requests": 1000, "app_errors": 100}
    verdict = _watch(tool_context, samples=[earlier], baseline_latency_ms=5.0)
    assert verdict.level == "critical", verdict
    assert any("error" in reason for reason in verdict.reasons), verdict.reasons
