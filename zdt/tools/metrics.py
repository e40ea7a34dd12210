"""sample_metrics: a short look at the server's health (connections, lock waits, long queries, errors).

With the monitor library (zdt.monitor) installed, the tool runs its sampler for a short burst: the same
measurements, probe latencies and baseline the executor's throttle judges by. Without it, one built-in
sample is read from pg_stat_activity, pg_locks and pg_stat_database in a read-only transaction. Either
way, query texts are blanked: they may hold application data and a model has no need for them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from zdt.tools import monitor_library
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import read_only_session, scrub

BUILTIN = "built-in (pg_stat_activity)"
LIBRARY = "zdt.monitor"
BURST_SAMPLES = 3
BURST_INTERVAL_S = 0.1

_SAMPLE = """
WITH here AS (
  SELECT * FROM pg_stat_activity
  WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()
)
SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
  (SELECT setting::int FROM pg_settings WHERE name = 'max_connections') AS max_connections,
  (SELECT count(*) FROM here WHERE state = 'active') AS active,
  (SELECT count(*) FROM here WHERE state LIKE 'idle in transaction%') AS idle_in_transaction,
  (SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN here h ON h.pid = l.pid WHERE NOT l.granted)
      AS waiting_on_locks,
  (SELECT coalesce(max(extract(epoch FROM now() - state_change)), 0) FROM here
     WHERE wait_event_type = 'Lock') AS longest_lock_wait_s,
  (SELECT coalesce(max(extract(epoch FROM now() - query_start)), 0) FROM here WHERE state = 'active')
      AS longest_query_s,
  d.xact_commit, d.xact_rollback, d.deadlocks
FROM pg_stat_database d WHERE d.datname = current_database()
"""


class MetricsSample(BaseModel):
    """One built-in sample of this database's sessions (connections and max_connections are the server's:
    the pool is shared). Counters (xact_*, deadlocks) are cumulative: compare two samples."""

    at: str
    connections: int
    max_connections: int
    active: int
    idle_in_transaction: int
    waiting_on_locks: int
    longest_lock_wait_s: float
    longest_query_s: float
    xact_commit: int
    xact_rollback: int
    deadlocks: int


class SampleMetricsInput(BaseModel):
    database: DatabaseRole | None = Field(default=None, description="'target' or 'staging'.")


def take_sample(conn: psycopg.Connection) -> MetricsSample:
    row = conn.execute(_SAMPLE).fetchone()
    assert row is not None  # pg_stat_database always has the current database
    names = list(MetricsSample.model_fields)[1:]
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    return MetricsSample(at=at, **dict(zip(names, row, strict=True)))


def builtin_sample(ctx: ToolContext, role: DatabaseRole | None) -> dict[str, Any]:
    with read_only_session(ctx, role) as conn:
        sample = take_sample(conn)
    return {"source": BUILTIN, "samples": [sample.model_dump(mode="json")], "baseline_ms": None}


def library_burst(ctx: ToolContext, role: DatabaseRole | None) -> dict[str, Any]:
    """A few samples from zdt.monitor's sampler (its own read-only connection, short timeouts)."""
    library = monitor_library.load()
    assert library is not None
    try:
        url = ctx.url_for(role)
    except LookupError as error:
        raise ToolError(str(error)) from None
    sampler = library.MetricsSampler(url, interval_s=BURST_INTERVAL_S, application_name="zdt-agent-monitor")
    with sampler:
        sampler.wait_for_samples(BURST_SAMPLES, timeout_s=5.0)
    samples = [_without_queries(sample.model_dump(mode="json"), ctx) for sample in sampler.samples]
    return {"source": LIBRARY, "samples": samples, "baseline_ms": sampler.baseline()}


def _without_queries(sample: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    for item in [*sample.get("lock_waits", []), *sample.get("blockers", [])]:
        item["query"] = ""
    if sample.get("connection_error"):
        sample["connection_error"] = scrub(sample["connection_error"], ctx)
    return sample


def sample_metrics_tool(ctx: ToolContext) -> Tool:
    def run(args: SampleMetricsInput) -> dict[str, Any]:
        if monitor_library.load() is not None:
            return library_burst(ctx, args.database)
        return builtin_sample(ctx, args.database)

    return Tool(
        name="sample_metrics",
        description=(
            "Sample database health now: connections, sessions waiting on locks and for how long, idle "
            "transactions, probe latency, errors. Returns {source, samples, baseline_ms}."
        ),
        input_model=SampleMetricsInput,
        function=run,
    )
