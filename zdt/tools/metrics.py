"""sample_metrics: one cheap look at the server's health (connections, lock waits, long queries, errors).

It is a stop-gap for the monitor library (zdt.monitor, written separately): when that library exposes a
sampler this tool should delegate to it. Until then it reads pg_stat_activity, pg_locks and
pg_stat_database once, in a read-only transaction, and returns numbers the monitor can judge against
thresholds. It never returns query texts: they may contain application data.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from pydantic import BaseModel, Field

from zdt.tools.base import Tool
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import read_only_session

_SAMPLE = """
SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
  (SELECT setting::int FROM pg_settings WHERE name = 'max_connections') AS max_connections,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active')
      AS active,
  (SELECT count(*) FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND state LIKE 'idle in transaction%') AS idle_in_transaction,
  (SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted) AS waiting_on_locks,
  (SELECT coalesce(max(extract(epoch FROM now() - state_change)), 0) FROM pg_stat_activity
     WHERE wait_event_type = 'Lock') AS longest_lock_wait_s,
  (SELECT coalesce(max(extract(epoch FROM now() - query_start)), 0) FROM pg_stat_activity
     WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid())
      AS longest_query_s,
  d.xact_commit, d.xact_rollback, d.deadlocks
FROM pg_stat_database d WHERE d.datname = current_database()
"""


class MetricsSample(BaseModel):
    """One sample; counters (xact_*, deadlocks) are cumulative, the monitor compares two samples."""

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
    return MetricsSample(
        at=datetime.now(UTC).isoformat(timespec="milliseconds"), **dict(zip(names, row, strict=True))
    )


def sample_metrics_tool(ctx: ToolContext) -> Tool:
    def run(args: SampleMetricsInput) -> MetricsSample:
        with read_only_session(ctx, args.database) as conn:
            return take_sample(conn)

    return Tool(
        name="sample_metrics",
        description=(
            "Sample database health now: connections, active and idle-in-transaction sessions, sessions "
            "waiting on locks and for how long, the longest running query, commits/rollbacks/deadlocks."
        ),
        input_model=SampleMetricsInput,
        function=run,
    )
