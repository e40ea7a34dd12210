"""sample_metrics: a short look at the server's health (connections, lock waits, probe latency, errors).

The tool runs zdt.monitor's sampler for a short burst: the same measurements, probe latencies and
baseline the executor's throttle judges by. Query texts are blanked: they may hold application data and
a model has no need for them; connection errors are scrubbed of passwords.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from zdt.monitor import MetricsSampler
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import scrub

SOURCE = "zdt.monitor"
BURST_SAMPLES = 3
BURST_INTERVAL_S = 0.1


class SampleMetricsInput(BaseModel):
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def sample_burst(ctx: ToolContext, role: DatabaseRole | None) -> dict[str, Any]:
    """A few samples from zdt.monitor's sampler (its own read-only connection, short timeouts)."""
    try:
        url = ctx.url_for(role)
    except LookupError as error:
        raise ToolError(str(error)) from None
    sampler = MetricsSampler(url, interval_s=BURST_INTERVAL_S, application_name="zdt-agent-monitor")
    with sampler:
        sampler.wait_for_samples(BURST_SAMPLES, timeout_s=5.0)
    samples = [_without_queries(sample.model_dump(mode="json"), ctx) for sample in sampler.samples]
    return {"source": SOURCE, "samples": samples, "baseline_ms": sampler.baseline()}


def _without_queries(sample: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    for item in [*sample.get("lock_waits", []), *sample.get("blockers", [])]:
        item["query"] = ""
    if sample.get("connection_error"):
        sample["connection_error"] = scrub(sample["connection_error"], ctx)
    return sample


def sample_metrics_tool(ctx: ToolContext) -> Tool:
    def run(args: SampleMetricsInput) -> dict[str, Any]:
        return sample_burst(ctx, args.database)

    return Tool(
        name="sample_metrics",
        description=(
            "Sample database health now: connections, sessions waiting on locks and for how long, idle "
            "transactions, probe latency, errors. Returns {source, samples, baseline_ms}."
        ),
        input_model=SampleMetricsInput,
        function=run,
    )
