"""The Migration Monitoring Agent: is the database healthy while the migration runs?

Its verdict drives the session (throttle slows the executor down, critical stops and rolls back), so the
offline judgement is zdt.monitor's fixed table of thresholds: the very judgement the executor's throttle
acts on. The same samples always give the same verdict, and the reasons name the metric and value that
decided it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.monitor import MetricSample, MonitorVerdict, Thresholds, judge
from zdt.tools.base import ToolBox


class MonitorContext(AgentContext):
    """What the monitor reads (plus session_id, environment, schema_summary, findings)."""

    samples: list[dict[str, Any]] = Field(
        default_factory=list, description="Earlier samples (sample_metrics' shape), oldest first."
    )
    baseline_latency_ms: float | None = Field(
        default=None, description="zdt.monitor's baseline: median probe latency before the migration."
    )
    thresholds: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of zdt.monitor.Thresholds, by field name."
    )
    step: str | None = Field(default=None, description="What the executor is running now.")


class MonitorAgent(ContextAgent[MonitorVerdict, MonitorContext]):
    """Judges database health (MonitorVerdict: ok | throttle | critical, reasons, summary).

    Context keys read:

    - ``session_id`` (str, required)
    - ``samples`` (list[dict]: earlier samples in sample_metrics' shape, oldest first; may be empty:
      the agent always takes a fresh burst through ``sample_metrics``)
    - ``baseline_latency_ms`` (float | None): zdt.monitor's baseline (MetricsSampler.baseline())
    - ``thresholds`` (dict): overrides of zdt.monitor.Thresholds
    - ``step`` (str | None): what is running now
    - ``environment``, ``findings``, ``schema_summary``

    Offline it judges with zdt.monitor.judge, the same judgement the executor's throttle uses.

    Tools: sample_metrics, run_readonly_sql, read_scratchpad, append_log.
    """

    name = "monitor"
    template = "monitor.md.j2"
    result_model = MonitorVerdict
    context_model: ClassVar[type[AgentContext]] = MonitorContext

    def task_message(self, context: dict[str, Any]) -> str:
        ctx = self.read_context(context)
        given = (
            f"{len(ctx.samples)} earlier samples are above" if ctx.samples else "No earlier sample was given"
        )
        return (
            f"{given}. Take a fresh sample with sample_metrics, judge it against the thresholds, then call "
            "submit_result with level, reasons and a one-line summary."
        )

    def offline(self, context: dict[str, Any], tools: ToolBox) -> MonitorVerdict:
        ctx = self.read_context(context)
        result = tools.call("sample_metrics", {})
        fresh = None if result.is_error else json.loads(result.content)
        verdict = _verdict(ctx, fresh, result.content if fresh is None else None)
        tools.call("append_log", {"message": f"monitor {verdict.summary}"})
        return verdict


def _verdict(ctx: MonitorContext, fresh: dict[str, Any] | None, failure: str | None) -> MonitorVerdict:
    samples = [*ctx.samples, *(fresh["samples"] if fresh else [])]
    baseline = (
        ctx.baseline_latency_ms if ctx.baseline_latency_ms is not None else (fresh or {}).get("baseline_ms")
    )
    verdict = judge(
        [MetricSample.model_validate(sample) for sample in samples], baseline, Thresholds(**ctx.thresholds)
    )
    if failure is None:
        return verdict
    reasons = [f"critical: sampling failed: {failure}", *verdict.reasons]
    return MonitorVerdict(level="critical", reasons=reasons, summary=f"critical: sampling failed: {failure}")
