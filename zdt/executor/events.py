"""What the executor tells observers while it runs, and how an observer can ask it to slow down.

The executor never renders anything itself: the CLI draws a progress bar, a monitor watches latency and a
session recorder writes a transcript, all from the same typed events. Observers are called synchronously,
only at points where nothing is half-done (after a commit, before a step starts), so an observer that
raises stops the run cleanly rather than in the middle of a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class EventKind(StrEnum):
    MIGRATION_STARTED = "migration_started"
    MIGRATION_DONE = "migration_done"
    MIGRATION_FAILED = "migration_failed"
    STEP_STARTED = "step_started"
    STEP_SKIPPED = "step_skipped"  # already done in an earlier run
    STEP_RESUMED = "step_resumed"  # found running after a crash
    STEP_RETRY = "step_retry"  # lock timeout: backing off before the next attempt
    STEP_DONE = "step_done"
    STEP_FAILED = "step_failed"
    CLEANUP = "cleanup"  # on_failure_sql ran after a failed non-transactional step
    BACKFILL_STARTED = "backfill_started"
    BATCH_DONE = "batch_done"
    THROTTLED = "throttled"  # the throttle hook asked for a pause
    ROLLBACK_STARTED = "rollback_started"
    ROLLBACK_STEP = "rollback_step"
    ROLLBACK_DONE = "rollback_done"
    ROLLBACK_FAILED = "rollback_failed"


def _now() -> datetime:
    return datetime.now(UTC)


class ExecutionEvent(BaseModel):
    """One thing that happened; fields that do not apply to a kind stay None."""

    kind: EventKind
    migration_id: str
    step_id: str | None = None
    message: str = ""
    at: datetime = Field(default_factory=_now)
    elapsed_s: float | None = Field(default=None, description="Since the step (or backfill run) started.")
    attempt: int | None = None
    pause_s: float | None = Field(default=None, description="Backoff or throttle pause about to be taken.")
    rows: int | None = Field(default=None, description="Rows done so far (backfill) or by the step.")
    total_rows: int | None = None
    rows_per_s: float | None = None
    eta_s: float | None = None
    batch_size: int | None = None


EventCallback = Callable[[ExecutionEvent], None]

Throttle = Callable[[], float | None]
"""Consulted before each step and between backfill batches: seconds to pause now (0 or None: go on).

It is consulted again after each pause, so a monitor can hold the executor until the database recovers.
"""


class EventSink:
    """Stamps events with the migration id and hands them to the observer, if there is one."""

    def __init__(self, migration_id: str, on_event: EventCallback | None) -> None:
        self.migration_id = migration_id
        self._on_event = on_event

    def emit(self, kind: EventKind, step_id: str | None = None, message: str = "", **fields: object) -> None:
        if self._on_event is None:
            return
        event = ExecutionEvent.model_validate(
            {
                "kind": kind,
                "migration_id": self.migration_id,
                "step_id": step_id,
                "message": message,
                **fields,
            }
        )
        self._on_event(event)
