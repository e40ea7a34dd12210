"""What the monitor records: one typed sample per tick, the step boundaries, and the verdicts it gave.

Everything is a pydantic model so the graph can checkpoint it as JSON and the report can be rebuilt from
a recording without a database. A sample is self-contained (it carries its own timestamp and the step it
was taken in) so thinning or slicing the list never loses context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

TIMEOUT_SQLSTATES = frozenset({"55P03", "57014"})
"""lock_not_available and query_canceled: a probe that hit its own timeout was slow, not broken."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProbeResult(BaseModel):
    """One run of one probe query: how long it took, and how it failed if it did."""

    name: str
    latency_ms: float = Field(description="Wall time of the round trip, also when it failed.")
    sqlstate: str | None = None
    error: str | None = Field(default=None, description="'SQLSTATE: message' when the probe failed.")

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        """Blocked or cancelled by its own lock_timeout/statement_timeout: counts as slow and as an error."""
        return self.sqlstate in TIMEOUT_SQLSTATES


class SessionInfo(BaseModel):
    """A session that blocks a waiter: what it is doing and for how long, to name the culprit."""

    pid: int
    state: str | None = None
    application_name: str = ""
    transaction_s: float | None = Field(default=None, description="Age of its open transaction.")
    query: str = Field(default="", description="Its current or last statement, truncated.")


class LockWait(BaseModel):
    """A session waiting on a heavyweight lock, and the sessions it waits for (pg_blocking_pids)."""

    pid: int
    blocked_by: list[int] = Field(default_factory=list)
    wait_s: float = Field(description="Since the lock was requested (pg_locks.waitstart, 14+).")
    wait_event: str | None = Field(default=None, description="relation, tuple, transactionid, ...")
    application_name: str = ""
    query: str = ""


class TrafficCounts(Protocol):
    """Cumulative requests and failures of the application (or the load generator) since it started.

    What ``LoadGenerator.live_counts()`` and ``LoadProcess.live_counts()`` return; any object with these
    attributes will do. Cumulative rather than per-interval so that a tick the sampler misses (or a call
    that raised) loses nothing: the next delta covers both ticks.
    """

    @property
    def requests(self) -> int: ...

    @property
    def errors(self) -> int: ...

    @property
    def errors_by_sqlstate(self) -> Mapping[str, int]: ...


class ReplicaLag(BaseModel):
    """One standby streaming from the monitored primary (a row of pg_stat_replication)."""

    application_name: str = ""
    client_addr: str | None = Field(default=None, description="None for a standby on a Unix socket.")
    state: str | None = Field(default=None, description="streaming, catchup, startup, backup, stopping.")
    replay_lag_s: float | None = Field(
        default=None,
        description="pg_stat_replication.replay_lag; 0 when the standby has replayed everything (the server "
        "reports NULL once an idle standby has caught up); None when unknown and behind.",
    )
    bytes_behind: int | None = Field(default=None, description="WAL not yet replayed by the standby.")

    @property
    def name(self) -> str:
        """How a reason names it: its application_name (the standby's cluster_name), else its address."""
        return self.application_name or self.client_addr or "(unnamed standby)"


class SlotLag(BaseModel):
    """A replication slot and the WAL it keeps: an inactive one fills pg_wal under a backfill."""

    slot_name: str
    slot_type: str = "physical"
    active: bool = False
    retained_bytes: int | None = Field(default=None, description="From restart_lsn to the current WAL.")


class MetricSample(BaseModel):
    """Everything measured in one tick; a tick whose connection failed carries only the failure."""

    at: datetime = Field(default_factory=utc_now)
    elapsed_s: float = Field(description="Seconds since the sampler started: the charts' x axis.")
    step: str = Field(description="Label of the last mark before this sample ('baseline' before any).")
    connection_error: str | None = Field(
        default=None, description="Set when the sampler's own connection broke or could not be opened."
    )
    connections: int = Field(default=0, description="Client backends on the whole server.")
    max_connections: int = 0
    database_connections: int = Field(default=0, description="Client backends in the monitored database.")
    active_sessions: int = Field(default=0, description="Running a statement (the sampler excluded).")
    idle_in_transaction: int = 0
    longest_idle_in_transaction_s: float = 0.0
    longest_transaction_s: float = 0.0
    lock_waits: list[LockWait] = Field(default_factory=list)
    blockers: list[SessionInfo] = Field(default_factory=list)
    probes: list[ProbeResult] = Field(default_factory=list)
    app_requests: int | None = Field(
        default=None, description="Application requests completed since the previous sample; None: unknown."
    )
    app_errors: int | None = None
    app_errors_by_sqlstate: dict[str, int] = Field(default_factory=dict)
    db_commits: int | None = Field(
        default=None, description="pg_stat_database.xact_commit since the previous reading (all sessions)."
    )
    db_rollbacks: int | None = None
    monitor_commits: int = Field(default=0, description="Transactions the sampler itself committed.")
    monitor_rollbacks: int = Field(default=0, description="...and rolled back (its failed probes).")
    executor_rollbacks: int = Field(
        default=0, description="Transactions zdt's executor rolled back on purpose (lock_timeout retries)."
    )
    replicas: list[ReplicaLag] = Field(default_factory=list)
    slots: list[SlotLag] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.connection_error is None

    @property
    def sessions_waiting(self) -> int:
        return len(self.lock_waits)

    @property
    def longest_lock_wait_s(self) -> float:
        return max((wait.wait_s for wait in self.lock_waits), default=0.0)

    @property
    def connection_use(self) -> float:
        """Fraction of max_connections in use (0 when unknown)."""
        return self.connections / self.max_connections if self.max_connections else 0.0

    @property
    def probe_errors(self) -> list[ProbeResult]:
        return [probe for probe in self.probes if not probe.ok]


class Mark(BaseModel):
    """A step boundary: samples after it belong to ``label`` until the next mark."""

    label: str
    at: datetime = Field(default_factory=utc_now)
    elapsed_s: float


class MonitorVerdict(BaseModel):
    """The monitor's judgement of the latest samples: what the session does next, and why."""

    level: Literal["ok", "throttle", "critical"]
    reasons: list[str] = Field(default_factory=list)
    summary: str


class RecordedVerdict(BaseModel):
    """A verdict at a moment, and what was done about it (pause, rollback request, nothing)."""

    at: datetime = Field(default_factory=utc_now)
    elapsed_s: float | None = None
    verdict: MonitorVerdict
    action: str = ""
