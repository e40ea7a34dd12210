"""The Migration Monitoring Agent: is the database healthy while the migration runs?

Its verdict drives the executor (throttle slows the backfills, critical stops and rolls back), so the
offline judgement is a fixed table of thresholds (zdt.agents.monitor_rules): the same samples always
give the same verdict, and the reasons name the metric and value that decided it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.agents.monitor_rules import MonitorThresholds, judge
from zdt.agents.results import MonitorVerdict
from zdt.tools.base import ToolBox


class MonitorContext(AgentContext):
    """What the monitor reads (plus session_id, environment, schema_summary, findings)."""

    samples: list[dict[str, Any]] = Field(
        default_factory=list, description="MetricsSample dicts, oldest first; empty: take one now."
    )
    baseline: dict[str, Any] | None = Field(default=None, description="A sample from before the migration.")
    thresholds: MonitorThresholds = Field(default_factory=MonitorThresholds)
    step: str | None = Field(default=None, description="What the executor is running now.")


class MonitorAgent(ContextAgent[MonitorVerdict, MonitorContext]):
    """Judges database health (MonitorVerdict: ok | throttle | critical, reasons, summary).

    Context keys read:

    - ``session_id`` (str, required)
    - ``samples`` (list[dict]: MetricsSample JSON, oldest first; empty: the agent samples now)
    - ``baseline`` (dict | None: a sample from before the migration, for degradation and error rate)
    - ``thresholds`` (dict: MonitorThresholds fields to override)
    - ``step`` (str | None): what is running now
    - ``environment``, ``findings``, ``schema_summary``

    Tools: sample_metrics, run_readonly_sql, read_scratchpad, append_log.
    """

    name = "monitor"
    template = "monitor.md.j2"
    result_model = MonitorVerdict
    context_model: ClassVar[type[AgentContext]] = MonitorContext

    def task_message(self, context: dict[str, Any]) -> str:
        ctx = self.read_context(context)
        given = f"{len(ctx.samples)} samples are above" if ctx.samples else "No sample was given"
        return (
            f"{given}. Take a fresh sample with sample_metrics, judge it against the thresholds, then call "
            "submit_result with level, reasons and a one-line summary."
        )

    def offline(self, context: dict[str, Any], tools: ToolBox) -> MonitorVerdict:
        ctx = self.read_context(context)
        samples = list(ctx.samples)
        result = tools.call("sample_metrics", {})
        unreachable = None
        if result.is_error:
            unreachable = f"sampling failed: {result.content}"
        else:
            samples.append(json.loads(result.content))
        level, reasons = judge(samples, ctx.baseline, ctx.thresholds)
        if unreachable:
            level, reasons = "critical", [unreachable, *reasons]
        summary = f"{level}: " + ("; ".join(reasons) if reasons else "all metrics within thresholds")
        tools.call("append_log", {"message": f"monitor {summary}"})
        return MonitorVerdict(level=level, reasons=reasons, summary=summary)
