"""What every part of one executor run shares: the work connection, bookkeeping ids, observers, policy.

Bundled so that the step runners, the backfill and the cleanup consult the throttle, report retries and
write the log the same way, instead of each growing its own variant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg

from zdt.executor.events import EventKind, EventSink, Throttle
from zdt.executor.migration_log import MigrationLog
from zdt.executor.queue_guard import LockQueueGuard
from zdt.executor.retry import with_lock_retries
from zdt.executor.settings import ExecutorSettings
from zdt.plan.model import Timeouts

T = TypeVar("T")


@dataclass
class RunContext:
    conn: psycopg.Connection
    migration_id: str
    settings: ExecutorSettings
    events: EventSink
    log: MigrationLog
    throttle: Throttle | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)
    url: str = ""  # for the lock-queue guard's own connection; empty disables the guard

    def lock_queue_guard(self) -> LockQueueGuard | nullcontext[None]:
        """Guard the work connection's next lock-taking statement (see queue_guard.py)."""
        if not self.url or not self.settings.lock_queue_guard:
            return nullcontext()
        return LockQueueGuard(self.url, self.conn.info.backend_pid)

    def wait_for_throttle(self, step_id: str) -> None:
        """Pause for as long as the throttle hook asks, re-asking after every pause."""
        if self.throttle is None:
            return
        while True:
            pause = self.throttle() or 0.0
            if pause <= 0:
                return
            self.events.emit(
                EventKind.THROTTLED, step_id, f"pausing {pause:.2f} s as the throttle asked", pause_s=pause
            )
            self.sleep(pause)

    def retry(
        self, step_id: str, timeouts: Timeouts, attempt: Callable[[], T], what: str = ""
    ) -> tuple[T, int]:
        """Run ``attempt`` with jittered backoff on lock timeouts; report each retry as an event."""
        prefix = f"{what}: " if what else ""

        def on_retry(retry: int, delay: float, error: Exception) -> None:
            self.events.emit(
                EventKind.STEP_RETRY,
                step_id,
                f"{prefix}lock not granted within {timeouts.lock_timeout_ms} ms "
                f"(retry {retry}/{timeouts.max_lock_retries} in {delay * 1000:.0f} ms)",
                attempt=retry + 1,
                pause_s=delay,
            )

        return with_lock_retries(
            attempt,
            max_retries=timeouts.max_lock_retries,
            base_ms=self.settings.backoff_base_ms,
            cap_ms=self.settings.backoff_cap_ms,
            on_retry=on_retry,
            sleep=self.sleep,
        )
