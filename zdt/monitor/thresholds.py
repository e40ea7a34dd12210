"""When the monitor says "slow down" (throttle) and when it says "stop, consider rolling back" (critical).

The defaults come from the seed's alert triggers: query latency more than 50 % over the baseline, an
error rate above 2 %, any connection failure, any data-integrity violation. Latency has two levels: +50 %
only throttles (a pause usually drains a lock queue), +200 % is critical. An absolute floor keeps sub-
millisecond noise from ever counting as "+50 %". Lock waits and connection use have both levels too,
because a session queued behind a lock is the first thing live traffic feels (see the load notes: one
waiting DDL queues every connection). Every reason names the metric, its value and the threshold it broke,
so an agent (or a person) can act on the sentence alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from zdt.agents.results import MonitorVerdict
from zdt.monitor.figures import WindowFigures, summarise
from zdt.monitor.models import MetricSample

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
    window_s: float = Field(default=1.0, description="How far back the throttle adapter looks.")
    pause_s: float = Field(default=0.5, description="Pause the throttle adapter asks for while alarmed.")


Check = Callable[[WindowFigures, float | None, Thresholds], list[tuple[Level, str]]]


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


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


CHECKS: tuple[Check, ...] = (_connections, _latency, _errors, _lock_waits, _idle_transactions)


def judge(
    samples: Sequence[MetricSample],
    baseline: float | None,
    thresholds: Thresholds | None = None,
    integrity_failures: int = 0,
) -> MonitorVerdict:
    """Judge a window of samples against the baseline (median probe latency, ms) and the thresholds."""
    t = thresholds or Thresholds()
    figures = summarise(samples)
    found = [finding for check in CHECKS for finding in check(figures, baseline, t)]
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
