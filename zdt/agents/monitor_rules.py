"""The monitor's deterministic judgement: metric samples against thresholds -> ok / throttle / critical.

The thresholds follow the seed workflow's alert triggers (connection failures, performance degradation
over 50%, error rate over 2%) translated to what one can read from PostgreSQL's own views: the
connection pool filling up, sessions queueing on locks, queries running far longer than at baseline,
the share of transactions rolling back, and deadlocks.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

Level = Literal["ok", "throttle", "critical"]
_ORDER: dict[str, int] = {"ok": 0, "throttle": 1, "critical": 2}


class MonitorThresholds(BaseModel):
    connections_throttle: float = 0.80  # share of max_connections in use
    connections_critical: float = 0.95
    lock_wait_throttle_s: float = 1.0  # longest wait of a session queued on a lock
    lock_wait_critical_s: float = 5.0
    waiting_throttle: int = 5  # sessions queued on locks
    waiting_critical: int = 20
    max_degradation: float = 0.50  # longest query vs baseline, as a fraction
    degradation_floor_s: float = 1.0  # ignore degradation below this absolute duration
    max_error_rate: float = 0.02  # rollbacks / transactions since the baseline
    min_transactions: int = 50  # below this, the error rate is noise
    deadlocks_critical: int = 3  # new deadlocks since the baseline


def judge(
    samples: list[dict[str, Any]], baseline: dict[str, Any] | None, thresholds: MonitorThresholds
) -> tuple[Level, list[str]]:
    """Level and reasons for the latest sample, comparing counters with the baseline (or first sample)."""
    if not samples:
        return "critical", ["no metrics sample could be taken: the database may be unreachable"]
    latest = samples[-1]
    reference = baseline or samples[0]
    checks = [
        _connections(latest, thresholds),
        _lock_waits(latest, thresholds),
        _waiting(latest, thresholds),
        _degradation(latest, baseline, thresholds),
        _error_rate(latest, reference, thresholds),
        _deadlocks(latest, reference, thresholds),
    ]
    found = [check for check in checks if check is not None]
    level: Level = max((lvl for lvl, _ in found), key=_ORDER.__getitem__, default="ok")
    return level, [reason for _, reason in found]


def _num(sample: dict[str, Any], key: str) -> float:
    value = sample.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _graded(value: float, throttle: float, critical: float, reason: str) -> tuple[Level, str] | None:
    if value >= critical:
        return "critical", reason
    if value >= throttle:
        return "throttle", reason
    return None


def _connections(sample: dict[str, Any], t: MonitorThresholds) -> tuple[Level, str] | None:
    used, limit = _num(sample, "connections"), _num(sample, "max_connections")
    if limit <= 0:
        return None
    ratio = used / limit
    return _graded(
        ratio,
        t.connections_throttle,
        t.connections_critical,
        f"connections {used:.0f}/{limit:.0f} ({ratio:.0%})",
    )


def _lock_waits(sample: dict[str, Any], t: MonitorThresholds) -> tuple[Level, str] | None:
    wait = _num(sample, "longest_lock_wait_s")
    return _graded(
        wait, t.lock_wait_throttle_s, t.lock_wait_critical_s, f"a session waits {wait:.1f}s on a lock"
    )


def _waiting(sample: dict[str, Any], t: MonitorThresholds) -> tuple[Level, str] | None:
    waiting = _num(sample, "waiting_on_locks")
    return _graded(
        waiting, t.waiting_throttle, t.waiting_critical, f"{waiting:.0f} sessions waiting on locks"
    )


def _degradation(
    sample: dict[str, Any], baseline: dict[str, Any] | None, t: MonitorThresholds
) -> tuple[Level, str] | None:
    if baseline is None:
        return None
    now, before = _num(sample, "longest_query_s"), _num(baseline, "longest_query_s")
    if now < t.degradation_floor_s or now <= before * (1 + t.max_degradation):
        return None
    return (
        "throttle",
        f"longest query {now:.1f}s vs {before:.1f}s at baseline (> {t.max_degradation:.0%} slower)",
    )


def _error_rate(
    sample: dict[str, Any], ref: dict[str, Any], t: MonitorThresholds
) -> tuple[Level, str] | None:
    commits = _num(sample, "xact_commit") - _num(ref, "xact_commit")
    rollbacks = _num(sample, "xact_rollback") - _num(ref, "xact_rollback")
    total = commits + rollbacks
    if total < t.min_transactions:
        return None
    rate = rollbacks / total
    if rate <= t.max_error_rate:
        return None
    return "critical", f"error rate {rate:.1%} ({rollbacks:.0f} of {total:.0f} transactions rolled back)"


def _deadlocks(sample: dict[str, Any], ref: dict[str, Any], t: MonitorThresholds) -> tuple[Level, str] | None:
    new = _num(sample, "deadlocks") - _num(ref, "deadlocks")
    return _graded(new, 1, t.deadlocks_critical, f"{new:.0f} new deadlocks") if new > 0 else None
