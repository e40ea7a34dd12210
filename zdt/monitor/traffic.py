"""Application traffic as the monitor sees it: the traffic source's own counts, and the server's.

Two views because they answer different questions. The traffic source (the load generator, or an
application that exposes its counters) knows exactly which requests failed and with which SQLSTATE, at
once. The server's ``pg_stat_database.xact_commit``/``xact_rollback`` exist for every application,
instrumented or not, but are coarse (a rollback is not necessarily an error) and late: backends flush their
counters at most about once a second, so the figures derived from them are judged over several seconds.
Measured on PostgreSQL 15 and 18: a backend publishes its transaction counts only together with other
pending statistics, so a busy connection whose transactions touch no table (``SELECT 1``, ``SELECT 1/0``)
did not publish them for 20 s and more; transactions that read or write a table arrive within a second.
Both are cumulative counters; the sampler stores the difference since its previous reading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import psycopg

from zdt.monitor.models import MetricSample, TrafficCounts

_SERVER_TRAFFIC = """
SELECT xact_commit, xact_rollback, pg_is_in_recovery() AS in_recovery
FROM pg_stat_database WHERE datname = current_database()
"""


@dataclass(frozen=True)
class Counts:
    """A plain copy of a traffic reading: the source's object may be mutated or shared after the call."""

    requests: int = 0
    errors: int = 0
    errors_by_sqlstate: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TrafficDelta:
    requests: int
    errors: int
    errors_by_sqlstate: dict[str, int]


def read_traffic(source: Callable[[], TrafficCounts]) -> Counts | None:
    """Call the traffic source; None if it raised (the application's problem must not stop the monitor)."""
    try:
        counts = source()
        return Counts(
            requests=int(counts.requests),
            errors=int(counts.errors),
            errors_by_sqlstate={str(k): int(v) for k, v in dict(counts.errors_by_sqlstate).items()},
        )
    except Exception:  # any failure of foreign code: record nothing this tick, try again on the next
        return None


def traffic_delta(previous: Counts | None, current: Counts) -> TrafficDelta | None:
    """What happened between two readings; None for the first one (nothing to compare with).

    Counts that went down mean the source restarted: its counts since the restart are the delta.
    """
    if previous is None:
        return None
    if current.requests < previous.requests or current.errors < previous.errors:
        previous = Counts()
    by_state = {
        state: count - previous.errors_by_sqlstate.get(state, 0)
        for state, count in current.errors_by_sqlstate.items()
        if count > previous.errors_by_sqlstate.get(state, 0)
    }
    return TrafficDelta(current.requests - previous.requests, current.errors - previous.errors, by_state)


def read_server_traffic(conn: psycopg.Connection) -> tuple[int, int, bool]:
    """(xact_commit, xact_rollback, in_recovery) of the current database: cumulative since a stats reset."""
    row = conn.execute(_SERVER_TRAFFIC).fetchone()
    if row is None:  # the database's row appears with its first statistics; count from zero until then
        in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return 0, 0, bool(in_recovery and in_recovery[0])
    return int(row[0] or 0), int(row[1] or 0), bool(row[2])


def server_delta(previous: tuple[int, int] | None, current: tuple[int, int]) -> tuple[int, int] | None:
    """(commits, rollbacks) since the previous reading; None first and after a statistics reset."""
    if previous is None or current[0] < previous[0] or current[1] < previous[1]:
        return None
    return current[0] - previous[0], current[1] - previous[1]


def _add(first: int | None, second: int | None) -> int | None:
    if first is None:
        return second
    return first if second is None else first + second


def merge_counts(into: MetricSample, dropped: MetricSample) -> MetricSample:
    """``into`` carrying the counts of a sample that is thinned away, so rates stay true after thinning."""
    by_state = dict(into.app_errors_by_sqlstate)
    for state, count in dropped.app_errors_by_sqlstate.items():
        by_state[state] = by_state.get(state, 0) + count
    return into.model_copy(
        update={
            "app_requests": _add(into.app_requests, dropped.app_requests),
            "app_errors": _add(into.app_errors, dropped.app_errors),
            "app_errors_by_sqlstate": by_state,
            "db_commits": _add(into.db_commits, dropped.db_commits),
            "db_rollbacks": _add(into.db_rollbacks, dropped.db_rollbacks),
            "monitor_commits": into.monitor_commits + dropped.monitor_commits,
            "monitor_rollbacks": into.monitor_rollbacks + dropped.monitor_rollbacks,
            "executor_rollbacks": into.executor_rollbacks + dropped.executor_rollbacks,
        }
    )


def thin(samples: list[MetricSample]) -> list[MetricSample]:
    """Every other sample, the dropped ones' counts folded into the next kept one (the last kept if none)."""
    kept = samples[::2]
    for index in range(1, len(samples), 2):
        target = min((index + 1) // 2, len(kept) - 1)
        kept[target] = merge_counts(kept[target], samples[index])
    return kept
