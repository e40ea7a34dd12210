"""Condense a run of samples into the handful of figures that thresholds and reports talk about.

One function so that the verdict and the report can never disagree about what "the median latency of
that step" was. A probe that hit its own lock_timeout stands for an application read that would have
waited that long: it counts as latency (at the time it waited), not as an error; probes that failed for
another reason (a missing column, a broken plan) are the errors. Latency is judged per probe, worst probe
first, because a pile-up on one table must not be averaged away by the tables nobody is touching.

Application traffic comes as per-sample deltas, so a window's figures are sums; server-side transactions
are counted net of the monitor's own (its probes commit, its failed probes roll back), which makes them the
other sessions' traffic. Replication figures are the worst moment of the window, like lock waits.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from zdt.monitor.models import LockWait, MetricSample, ReplicaLag, SlotLag


class WindowFigures(BaseModel):
    samples: int = 0
    start_s: float | None = None
    end_s: float | None = None
    probes: int = 0
    probe_errors: int = 0
    probe_timeouts: int = 0
    error_rate: float = 0.0
    latency_median_ms: float | None = Field(
        default=None, description="Median latency of the worst probe (highest median) in the window."
    )
    slowest_probe: str | None = None
    latency_max_ms: float | None = None
    longest_lock_wait_s: float = 0.0
    worst_lock_wait: LockWait | None = None
    max_sessions_waiting: int = 0
    connection_failures: int = 0
    last_connection_error: str | None = None
    max_connections: int = 0
    max_connection_use: float = 0.0
    connection_limit: int = 0
    max_active_sessions: int = 0
    max_idle_in_transaction: int = 0
    longest_idle_in_transaction_s: float = 0.0
    errors_by_probe: dict[str, int] = Field(default_factory=dict)
    app_requests: int | None = Field(default=None, description="None: no traffic source in the window.")
    app_errors: int = 0
    app_errors_by_sqlstate: dict[str, int] = Field(default_factory=dict)
    app_error_rate: float = 0.0
    app_requests_per_s: float | None = None
    app_errors_per_s: float | None = None
    db_commits: int | None = Field(default=None, description="Other sessions' commits (monitor excluded).")
    db_rollbacks: int | None = None
    db_commits_per_s: float | None = None
    db_rollbacks_per_s: float | None = None
    lagging_replica: ReplicaLag | None = Field(default=None, description="At its highest replay lag.")
    max_replica_lag_s: float | None = None
    max_replica_bytes_behind: int | None = None
    replicas_seen: int = 0
    fullest_slot: SlotLag | None = Field(default=None, description="At its most retained WAL.")

    @property
    def db_rollback_rate(self) -> float | None:
        total = (self.db_commits or 0) + (self.db_rollbacks or 0)
        return (self.db_rollbacks or 0) / total if total else None

    @property
    def duration_s(self) -> float:
        if self.start_s is None or self.end_s is None:
            return 0.0
        return self.end_s - self.start_s


def _total(values: Sequence[int | None]) -> int | None:
    measured = [value for value in values if value is not None]
    return sum(measured) if measured else None


def _covered(samples: Sequence[MetricSample], attribute: str) -> tuple[list[MetricSample], float]:
    """The measured samples after the first one, and the time their deltas cover.

    The first measured sample's delta covers time before it, so it counts towards totals, not rates.
    """
    measured = [sample for sample in samples if getattr(sample, attribute) is not None]
    if len(measured) < 2:
        return [], 0.0
    return measured[1:], measured[-1].elapsed_s - measured[0].elapsed_s


def per_second(samples: Sequence[MetricSample], attribute: str) -> float | None:
    """Rate of a per-sample delta (``app_requests``, ``app_errors``) over the window."""
    later, span = _covered(samples, attribute)
    return sum(getattr(sample, attribute) for sample in later) / span if span > 0 else None


def server_transactions(samples: Sequence[MetricSample]) -> tuple[int, int] | None:
    """(commits, rollbacks) of the other sessions in the monitored database; None if never read.

    "Other" leaves out the monitor's own transactions and the executor's lock_timeout retries: a retry is
    zdt working as designed, and on a quiet database a few of them would otherwise read as a rise of the
    application's rollback rate past the critical +2 points — the monitor rolling back a healthy migration.

    The monitor's own transactions reach pg_stat_database up to a second after it ran them, so over a
    window this subtraction is exact only to about a second of the monitor's own traffic; never below 0.
    """
    commits = _total([sample.db_commits for sample in samples])
    rollbacks = _total([sample.db_rollbacks for sample in samples])
    if commits is None or rollbacks is None:
        return None
    own_commits = sum(sample.monitor_commits for sample in samples)
    own_rollbacks = sum(sample.monitor_rollbacks + sample.executor_rollbacks for sample in samples)
    return max(0, commits - own_commits), max(0, rollbacks - own_rollbacks)


def rollback_rate(samples: Sequence[MetricSample], min_transactions: int) -> float | None:
    """Rolled back / all transactions of the other sessions, when at least ``min_transactions`` ended."""
    counted = server_transactions(samples)
    if counted is None or sum(counted) < max(1, min_transactions):
        return None
    return counted[1] / sum(counted)


def server_per_second(samples: Sequence[MetricSample]) -> tuple[float, float] | None:
    """(commits/s, rollbacks/s) of the other sessions; lumpy at sub-second scale (flushed once a second)."""
    later, span = _covered(samples, "db_commits")
    counted = server_transactions(later)
    if counted is None or span <= 0:
        return None
    return counted[0] / span, counted[1] / span


def _app_errors_by_sqlstate(samples: Sequence[MetricSample]) -> dict[str, int]:
    by_state: dict[str, int] = {}
    for sample in samples:
        for state, count in sample.app_errors_by_sqlstate.items():
            by_state[state] = by_state.get(state, 0) + count
    return by_state


def _replication(healthy: Sequence[MetricSample]) -> dict[str, Any]:
    """The worst replica and slot of the window (WindowFigures fields)."""
    replicas = [replica for sample in healthy for replica in sample.replicas]
    timed = [replica for replica in replicas if replica.replay_lag_s is not None]
    lagging = max(timed, key=lambda replica: replica.replay_lag_s or 0.0, default=None)
    behind = [replica.bytes_behind for replica in replicas if replica.bytes_behind is not None]
    slots = [slot for sample in healthy for slot in sample.slots if slot.retained_bytes is not None]
    return {
        "lagging_replica": lagging,
        "max_replica_lag_s": lagging.replay_lag_s if lagging else None,
        "max_replica_bytes_behind": max(behind, default=None),
        "replicas_seen": max((len(sample.replicas) for sample in healthy), default=0),
        "fullest_slot": max(slots, key=lambda slot: slot.retained_bytes or 0, default=None),
    }


def _traffic(samples: Sequence[MetricSample]) -> dict[str, Any]:
    """Application and server-side traffic of the window (WindowFigures fields)."""
    requests = _total([sample.app_requests for sample in samples])
    errors = _total([sample.app_errors for sample in samples]) or 0
    server = server_transactions(samples)
    rates = server_per_second(samples)
    return {
        "app_requests": requests,
        "app_errors": errors,
        "app_errors_by_sqlstate": _app_errors_by_sqlstate(samples),
        "app_error_rate": errors / requests if requests else 0.0,
        "app_requests_per_s": per_second(samples, "app_requests"),
        "app_errors_per_s": per_second(samples, "app_errors"),
        "db_commits": server[0] if server else None,
        "db_rollbacks": server[1] if server else None,
        "db_commits_per_s": rates[0] if rates else None,
        "db_rollbacks_per_s": rates[1] if rates else None,
    }


def summarise(samples: Sequence[MetricSample]) -> WindowFigures:
    """The figures of ``samples`` (any slice: a throttle window, a step, the whole run)."""
    if not samples:
        return WindowFigures()
    healthy = [sample for sample in samples if sample.ok]
    probes = [probe for sample in healthy for probe in sample.probes]
    latencies: dict[str, list[float]] = {}
    for probe in probes:
        if probe.ok or probe.timed_out:
            latencies.setdefault(probe.name, []).append(probe.latency_ms)
    medians = {name: statistics.median(values) for name, values in latencies.items()}
    slowest = max(medians, key=lambda name: medians[name], default=None)
    errors = [probe for probe in probes if not probe.ok and not probe.timed_out]
    errors_by_probe: dict[str, int] = {}
    for probe in errors:
        errors_by_probe[probe.name] = errors_by_probe.get(probe.name, 0) + 1
    waits = [wait for sample in healthy for wait in sample.lock_waits]
    worst = max(waits, key=lambda wait: wait.wait_s, default=None)
    failures = [sample for sample in samples if not sample.ok]
    busiest = max(healthy, key=lambda sample: sample.connection_use, default=None)
    return WindowFigures(
        samples=len(samples),
        start_s=samples[0].elapsed_s,
        end_s=samples[-1].elapsed_s,
        probes=len(probes),
        probe_errors=len(errors),
        probe_timeouts=sum(1 for probe in probes if probe.timed_out),
        error_rate=len(errors) / len(probes) if probes else 0.0,
        latency_median_ms=medians[slowest] if slowest is not None else None,
        slowest_probe=slowest,
        latency_max_ms=max((max(values) for values in latencies.values()), default=None),
        longest_lock_wait_s=worst.wait_s if worst else 0.0,
        worst_lock_wait=worst,
        max_sessions_waiting=max((sample.sessions_waiting for sample in healthy), default=0),
        connection_failures=len(failures),
        last_connection_error=failures[-1].connection_error if failures else None,
        max_connections=max((sample.connections for sample in healthy), default=0),
        max_connection_use=busiest.connection_use if busiest else 0.0,
        connection_limit=busiest.max_connections if busiest else 0,
        max_active_sessions=max((sample.active_sessions for sample in healthy), default=0),
        max_idle_in_transaction=max((sample.idle_in_transaction for sample in healthy), default=0),
        longest_idle_in_transaction_s=max(
            (sample.longest_idle_in_transaction_s for sample in healthy), default=0.0
        ),
        errors_by_probe=errors_by_probe,
        **_traffic(samples),
        **_replication(healthy),
    )
