"""When the monitor says "slow down" (throttle) and when it says "stop, consider rolling back" (critical).

The defaults come from the seed's alert triggers: query latency more than 50 % over the baseline, an
error rate above 2 %, any connection failure, any data-integrity violation. Latency has two levels: +50 %
only throttles (a pause usually drains a lock queue), +200 % is critical. An absolute floor keeps sub-
millisecond noise from ever counting as "+50 %". Lock waits and connection use have both levels too,
because a session queued behind a lock is the first thing live traffic feels (see the load notes: one
waiting DDL queues every connection). Every reason names the metric, its value and the threshold it broke,
so an agent (or a person) can act on the sentence alone.

The application's error rate (from the traffic source) follows the same 2 % rule, with one guard: the rate
is judged over at least ``app_min_requests`` requests, as if the missing ones had succeeded, so one error
in a quiet window of 3 requests throttles (any error does) but is not "33 %" critical; with the default of
100, critical takes at least 3 errors in the window. The server-side view (pg_stat_database) cannot tell an
error from a routine rollback (connection pools reset with ROLLBACK, zdt's own lock_timeout retries roll
back), so it is judged as a rise of the rollback rate over the baseline's, in percentage points, over a
longer window (backends flush those counters about once a second) and only above a minimum volume. Replica
lag throttles at 1.5 s, gh-ost's default ``--max-lag-millis``: a stale replica is not an outage, so it has
no critical level unless one is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from zdt.monitor.figures import WindowFigures, server_transactions, summarise
from zdt.monitor.models import MetricSample, MonitorVerdict

Level = Literal["ok", "throttle", "critical"]
_RANK: dict[Level, int] = {"ok": 0, "throttle": 1, "critical": 2}


class Thresholds(BaseModel):
    """Alarm levels; a value must be strictly greater than a threshold to breach it. None disables."""

    latency_increase_throttle: float | None = Field(default=0.5, description="+50 % over the baseline.")
    latency_increase_critical: float | None = Field(default=2.0, description="+200 % over the baseline.")
    latency_floor_ms: float = Field(
        default=2.0, description="Latency must also exceed the baseline by this much to count."
    )
    error_rate_throttle: float | None = Field(default=0.0, description="Any probe error slows down.")
    error_rate_critical: float | None = Field(default=0.02, description="The seed's 2 %.")
    lock_wait_throttle_s: float | None = 0.5
    lock_wait_critical_s: float | None = 5.0
    connection_use_throttle: float | None = Field(default=0.8, description="Of max_connections.")
    connection_use_critical: float | None = 0.95
    connection_failures_critical: int | None = Field(default=0, description="Any failure is critical.")
    integrity_failures_critical: int | None = Field(default=0, description="Any violation is critical.")
    idle_in_transaction_throttle_s: float | None = Field(
        default=10.0, description="An old idle transaction will queue the next DDL behind it."
    )
    app_error_rate_throttle: float | None = Field(default=0.0, description="Any application error.")
    app_error_rate_critical: float | None = Field(default=0.02, description="The seed's 2 %.")
    app_min_requests: int = Field(
        default=100, description="The error rate is judged over at least this many requests."
    )
    rollback_rate_increase_throttle: float | None = Field(
        default=None, description="Server-side rollback rate over the baseline's, in points (0.01 = +1)."
    )
    rollback_rate_increase_critical: float | None = Field(default=0.02, description="+2 points.")
    rollback_min_transactions: int = Field(
        default=100, description="Judge the rollback rate only when this many transactions ended."
    )
    server_window_s: float = Field(
        default=5.0, description="Window of the rollback rate: pg_stat counters arrive about once a second."
    )
    replication_lag_throttle_s: float | None = Field(default=1.5, description="gh-ost's default max lag.")
    replication_lag_critical_s: float | None = Field(default=None, description="Stale is no outage.")
    replication_lag_bytes_throttle: int | None = Field(default=None, description="WAL a standby is behind.")
    slot_retained_bytes_throttle: int | None = Field(
        default=None, description="WAL kept by a slot: an inactive slot fills pg_wal under a backfill."
    )
    window_s: float = Field(default=1.0, description="How far back the throttle adapter looks.")
    pause_s: float = Field(default=0.5, description="Pause the throttle adapter asks for while alarmed.")


Check = Callable[[WindowFigures, float | None, Thresholds], list[tuple[Level, str]]]


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def _pct1(value: float) -> str:
    return f"{value * 100:.1f} %"


def _size(count: float) -> str:
    """Bytes for a person: 1.5 MB rather than 1572864."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"  # pragma: no cover - the loop returns at GB


def top_sqlstates(by_state: dict[str, int], limit: int = 3) -> str:
    """'42P01 x12, 40001 x2' (most frequent first), or 'none recorded'."""
    ranked = sorted(by_state.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return ", ".join(f"{state} x{count}" for state, count in ranked) or "none recorded"


def _levels(
    value: float, throttle: float | None, critical: float | None
) -> tuple[Level, float] | tuple[None, None]:
    """The highest level whose threshold ``value`` breaches, with that threshold."""
    if critical is not None and value > critical:
        return "critical", critical
    if throttle is not None and value > throttle:
        return "throttle", throttle
    return None, None


def _latency(figures: WindowFigures, baseline: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    if baseline is None or figures.latency_median_ms is None:
        return []
    median = figures.latency_median_ms
    if median - baseline <= t.latency_floor_ms:
        return []
    increase = (median - baseline) / baseline if baseline > 0 else float("inf")
    level, limit = _levels(increase, t.latency_increase_throttle, t.latency_increase_critical)
    if level is None or limit is None:
        return []
    return [
        (
            level,
            f"probe latency: median {median:.1f} ms on probe {figures.slowest_probe!r} is "
            f"+{_pct(increase)} over the baseline {baseline:.2f} ms (threshold +{_pct(limit)}; "
            f"{figures.probe_timeouts} probe(s) hit their lock/statement timeout)",
        )
    ]


def _errors(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    if not figures.probe_errors:
        return []
    level, limit = _levels(figures.error_rate, t.error_rate_throttle, t.error_rate_critical)
    if level is None or limit is None:
        return []
    names = ", ".join(f"{name} x{count}" for name, count in sorted(figures.errors_by_probe.items()))
    return [
        (
            level,
            f"probe error rate: {_pct(figures.error_rate)} ({figures.probe_errors} of {figures.probes} "
            f"probes failed: {names}) > {_pct(limit)}",
        )
    ]


def _lock_waits(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    worst = figures.worst_lock_wait
    if worst is None:
        return []
    level, limit = _levels(worst.wait_s, t.lock_wait_throttle_s, t.lock_wait_critical_s)
    if level is None or limit is None:
        return []
    blockers = ", ".join(str(pid) for pid in worst.blocked_by) or "unknown"
    return [
        (
            level,
            f"lock wait: pid {worst.pid} has waited {worst.wait_s:.2f} s on a {worst.wait_event or 'lock'} "
            f"lock behind pid(s) {blockers} (threshold {limit:g} s; up to {figures.max_sessions_waiting} "
            "session(s) waiting)",
        )
    ]


def _connections(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    found: list[tuple[Level, str]] = []
    level, limit = _levels(figures.max_connection_use, t.connection_use_throttle, t.connection_use_critical)
    if level is not None and limit is not None:
        found.append(
            (
                level,
                f"connections: {figures.max_connections} of max_connections {figures.connection_limit} "
                f"in use ({_pct(figures.max_connection_use)} > {_pct(limit)})",
            )
        )
    failures = figures.connection_failures
    if t.connection_failures_critical is not None and failures > t.connection_failures_critical:
        found.append(
            (
                "critical",
                f"connection failures: {failures} > {t.connection_failures_critical} "
                f"(last: {figures.last_connection_error})",
            )
        )
    return found


def _idle_transactions(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    oldest = figures.longest_idle_in_transaction_s
    if t.idle_in_transaction_throttle_s is None or oldest <= t.idle_in_transaction_throttle_s:
        return []
    return [
        (
            "throttle",
            f"idle in transaction: a session has been idle in an open transaction for {oldest:.1f} s "
            f"(threshold {t.idle_in_transaction_throttle_s:g} s); the next DDL would queue behind it",
        )
    ]


def _app_errors(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    requests = figures.app_requests
    if requests is None or not figures.app_errors:
        return []
    floor = max(requests, t.app_min_requests, 1)
    judged = figures.app_errors / floor
    level, limit = _levels(judged, t.app_error_rate_throttle, t.app_error_rate_critical)
    if level is None or limit is None:
        return []
    rate = figures.app_error_rate if requests else 1.0
    over = f"; judged as {_pct1(judged)} over at least {t.app_min_requests}" if floor > requests else ""
    return [
        (
            level,
            f"application error rate: {_pct1(rate)} ({figures.app_errors} of {requests} requests failed"
            f"{over}; top SQLSTATEs: {top_sqlstates(figures.app_errors_by_sqlstate)}) > {_pct1(limit)}",
        )
    ]


def _replication_lag(figures: WindowFigures, _: float | None, t: Thresholds) -> list[tuple[Level, str]]:
    found: list[tuple[Level, str]] = []
    replica = figures.lagging_replica
    lag = figures.max_replica_lag_s
    if replica is not None and lag is not None:
        level, limit = _levels(lag, t.replication_lag_throttle_s, t.replication_lag_critical_s)
        if level is not None and limit is not None:
            behind = f", {_size(replica.bytes_behind)} of WAL" if replica.bytes_behind is not None else ""
            found.append(
                (
                    level,
                    f"replication lag: standby {replica.name!r} ({replica.state or 'unknown state'}) replays "
                    f"{lag:.2f} s behind{behind} (threshold {limit:g} s)",
                )
            )
    bytes_behind = figures.max_replica_bytes_behind
    limit_bytes = t.replication_lag_bytes_throttle
    if bytes_behind is not None and limit_bytes is not None and bytes_behind > limit_bytes:
        found.append(
            (
                "throttle",
                f"replication lag: a standby is {_size(bytes_behind)} of WAL behind "
                f"(threshold {_size(limit_bytes)})",
            )
        )
    return found + _slot(figures, t)


def _slot(figures: WindowFigures, t: Thresholds) -> list[tuple[Level, str]]:
    slot, limit = figures.fullest_slot, t.slot_retained_bytes_throttle
    if slot is None or slot.retained_bytes is None or limit is None or slot.retained_bytes <= limit:
        return []
    state = "active" if slot.active else "inactive"
    return [
        (
            "throttle",
            f"replication slot: {slot.slot_name!r} ({slot.slot_type}, {state}) retains "
            f"{_size(slot.retained_bytes)} of WAL (threshold {_size(limit)})",
        )
    ]


def _rollbacks(
    samples: Sequence[MetricSample], rollback_baseline: float | None, t: Thresholds
) -> list[tuple[Level, str]]:
    """The rise of the other sessions' rollback rate over its baseline, when enough transactions ended."""
    counted = server_transactions(samples)
    if rollback_baseline is None or counted is None or sum(counted) < max(1, t.rollback_min_transactions):
        return []
    commits, rollbacks = counted
    rate = rollbacks / (commits + rollbacks)
    increase = rate - rollback_baseline
    level, limit = _levels(increase, t.rollback_rate_increase_throttle, t.rollback_rate_increase_critical)
    if level is None or limit is None:
        return []
    span = samples[-1].elapsed_s - samples[0].elapsed_s
    return [
        (
            level,
            f"rollback rate: {_pct1(rate)} of {commits + rollbacks} transactions in {span:.1f} s rolled back "
            f"({rollbacks}; pg_stat_database, the monitor's own excluded), +{increase * 100:.1f} points over "
            f"the baseline {_pct1(rollback_baseline)} (threshold +{limit * 100:g} points)",
        )
    ]


CHECKS: tuple[Check, ...] = (
    _connections,
    _latency,
    _errors,
    _app_errors,
    _lock_waits,
    _idle_transactions,
    _replication_lag,
)


def judge(
    samples: Sequence[MetricSample],
    baseline: float | None,
    thresholds: Thresholds | None = None,
    integrity_failures: int = 0,
    *,
    rollback_baseline: float | None = None,
    server_samples: Sequence[MetricSample] | None = None,
) -> MonitorVerdict:
    """Judge a window of samples against the baseline (median probe latency, ms) and the thresholds.

    The server-side rollback rate is judged only given ``rollback_baseline`` (the rate before the
    migration), on ``server_samples`` when given (a longer window: see ``Thresholds.server_window_s``),
    else on ``samples``.
    """
    t = thresholds or Thresholds()
    figures = summarise(samples)
    found = [finding for check in CHECKS for finding in check(figures, baseline, t)]
    found += _rollbacks(samples if server_samples is None else server_samples, rollback_baseline, t)
    if t.integrity_failures_critical is not None and integrity_failures > t.integrity_failures_critical:
        found.insert(
            0,
            (
                "critical",
                f"integrity violations: {integrity_failures} > {t.integrity_failures_critical}",
            ),
        )
    found.sort(key=lambda finding: -_RANK[finding[0]])
    level: Level = found[0][0] if found else "ok"
    reasons = [f"{finding_level}: {reason}" for finding_level, reason in found]
    return MonitorVerdict(level=level, reasons=reasons, summary=_summary(level, figures, baseline, found))


def _summary(
    level: Level, figures: WindowFigures, baseline: float | None, found: list[tuple[Level, str]]
) -> str:
    if not figures.samples:
        window = "no samples"
    else:
        window = f"{figures.samples} sample(s) over {figures.duration_s:.1f} s"
    latency = (
        f"latency median {figures.latency_median_ms:.2f} ms"
        if figures.latency_median_ms is not None
        else "no probe latency"
    )
    against = f" vs baseline {baseline:.2f} ms" if baseline is not None else " (no baseline)"
    if level == "ok":
        return f"ok: {window} within thresholds; {latency}{against}"
    metrics = ", ".join(dict.fromkeys(reason.split(":", 1)[0] for _, reason in found))
    return f"{level}: {len(found)} alarm(s) ({metrics}) in {window}; {latency}{against}"
