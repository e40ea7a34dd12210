"""Run-time knobs of the executor: overrides an operator chooses at apply time, and the backoff policy.

The plan carries per-step timeouts and batch sizes; an operator may tighten them for one run (a busier
database than the one the plan was made on) without re-planning, which would need a new approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zdt.executor.priority import MAX_NICE
from zdt.executor.statements import StatementObserver
from zdt.plan.model import Backfill, Step, Timeouts


@dataclass(frozen=True)
class ExecutorSettings:
    lock_timeout_ms: int | None = None  # overrides every step's Timeouts.lock_timeout_ms
    statement_timeout_ms: int | None = None
    max_lock_retries: int | None = None
    batch_size: int | None = None  # overrides every backfill's starting batch size
    batch_pause_ms: int | None = None
    backoff_base_ms: int = 100  # first retry waits 50-100 ms, then doubling, jittered
    backoff_cap_ms: int = 5_000
    adapt_factor: int = 10  # an adaptive batch stays within [size / factor, size * factor]
    application_name: str = "zdt-executor"  # how our sessions show in pg_stat_activity
    connect_timeout_s: int = 10
    lock_queue_guard: bool = True  # cancel a lock wait as soon as application sessions queue behind it
    parallel_maintenance_workers: int | None = 0  # index builds/VACUUM on one core; None: server's setting
    max_wal_bytes_per_s: int | None = None  # backfills pause to keep the server's WAL rate under this
    wal_compression: str | None = None  # e.g. "lz4": SET for the work connection only, if the server allows
    backend_nice: int | None = None  # e.g. 10: the work backend's nice value if the server is on this host
    # told every statement the executor sends (a session recorder): see statements.py
    on_statement: StatementObserver | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse a setting that cannot mean what the operator asked, rather than bend it silently."""
        if self.backend_nice is not None and not 1 <= self.backend_nice <= MAX_NICE:
            raise ValueError(
                f"backend_nice must be between 1 and {MAX_NICE} (a higher value yields more CPU), "
                f"got {self.backend_nice}"
            )
        if self.max_wal_bytes_per_s is not None and self.max_wal_bytes_per_s <= 0:
            raise ValueError(f"max_wal_bytes_per_s must be positive, got {self.max_wal_bytes_per_s}")

    def timeouts_for(self, step: Step) -> Timeouts:
        base = step.timeouts
        return Timeouts(
            lock_timeout_ms=self.lock_timeout_ms
            if self.lock_timeout_ms is not None
            else base.lock_timeout_ms,
            statement_timeout_ms=(
                self.statement_timeout_ms
                if self.statement_timeout_ms is not None
                else base.statement_timeout_ms
            ),
            max_lock_retries=(
                self.max_lock_retries if self.max_lock_retries is not None else base.max_lock_retries
            ),
        )

    def backfill_for(self, backfill: Backfill) -> Backfill:
        changes: dict[str, int] = {}
        if self.batch_size is not None:
            changes["batch_size"] = self.batch_size
        if self.batch_pause_ms is not None:
            changes["pause_ms"] = self.batch_pause_ms
        return backfill.model_copy(update=changes)
