"""Hand-made samples for the tests that judge and report without a database: every figure is known."""

from __future__ import annotations

from zdt.monitor import LockWait, MetricSample, ProbeResult, SessionInfo


def sample(
    elapsed_s: float,
    *,
    step: str = "baseline",
    latency_ms: float = 0.3,
    probe_error: str | None = None,
    lock_wait_s: float | None = None,
    connections: int = 5,
    max_connections: int = 100,
    idle_in_transaction_s: float = 0.0,
    connection_error: str | None = None,
) -> MetricSample:
    """One sample with a single probe ``public.t``; optionally a waiter (pid 200) behind pid 100."""
    if connection_error is not None:
        return MetricSample(elapsed_s=elapsed_s, step=step, connection_error=connection_error)
    sqlstate = probe_error.split(":", 1)[0] if probe_error else None
    waits = []
    blockers = []
    if lock_wait_s is not None:
        waits = [
            LockWait(pid=200, blocked_by=[100], wait_s=lock_wait_s, wait_event="relation", query="SELECT 1")
        ]
        blockers = [SessionInfo(pid=100, state="idle in transaction", query="LOCK TABLE t")]
    return MetricSample(
        elapsed_s=elapsed_s,
        step=step,
        connections=connections,
        max_connections=max_connections,
        database_connections=connections,
        active_sessions=1,
        idle_in_transaction=1 if idle_in_transaction_s else 0,
        longest_idle_in_transaction_s=idle_in_transaction_s,
        lock_waits=waits,
        blockers=blockers,
        probes=[ProbeResult(name="public.t", latency_ms=latency_ms, sqlstate=sqlstate, error=probe_error)],
    )


def run(count: int, start_s: float = 0.0, **fields: object) -> list[MetricSample]:
    """``count`` identical samples 0.2 s apart."""
    return [sample(start_s + index * 0.2, **fields) for index in range(count)]  # type: ignore[arg-type]
