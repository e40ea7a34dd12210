"""What the bookkeeping in a database says: every migration, its steps and backfill progress.

Read without the executor lock (status must work while an executor runs); whether an executor is
running right now comes from the lock itself, so a migration left ``running`` by a crash shows as such.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from pydantic import BaseModel

from zdt.executor import state
from zdt.executor.advisory import lock_holder
from zdt.executor.session import connect
from zdt.executor.settings import ExecutorSettings
from zdt.executor.state import MigrationStatus


class BackfillRecord(BaseModel):
    rows_done: int
    rows_total: int
    batches: int
    batch_size: int
    last_key: str | None
    high_key: str | None


class StepRecord(BaseModel):
    step_id: str
    phase: str
    status: str
    attempts: int
    rows: int
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    backfill: BackfillRecord | None = None


class MigrationRecord(BaseModel):
    id: str
    status: str
    plan_hash: str
    fingerprint_before: str
    fingerprint_after: str | None = None
    error: str | None = None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    executor_running: bool = False
    steps: list[StepRecord]

    @property
    def stage(self) -> str:
        """Where the rollout stands, in the words a team uses, and what it waits for.

        Why derived and not stored: it follows from the step statuses the executor already records, so
        it can never disagree with them (a crash between two writes cannot leave a stale stage).
        """
        if self.status == MigrationStatus.ROLLED_BACK:
            return "rolled back"
        if self.status in (MigrationStatus.ROLLING_BACK, MigrationStatus.ROLLBACK_FAILED):
            return str(self.status).replace("_", " ")
        done = {phase for phase in ("expand", "migrate", "contract") if self._phase_done(phase)}
        has_contract = any(step.phase == "contract" for step in self.steps)
        if self.status == MigrationStatus.DONE:
            return "contracted" if has_contract else "done"
        if self.status == MigrationStatus.PARTIAL and has_contract and {"expand", "migrate"} <= done:
            pending = sum(1 for step in self.steps if step.phase == "contract" and step.status != "done")
            return f"waiting for deploy: contract ({pending} step(s)) waits for the old release to be gone"
        if "migrate" in done and "expand" in done:
            return "migrated"
        if "expand" in done:
            return "expanded"
        return str(self.status)

    def _phase_done(self, phase: str) -> bool:
        steps = [step for step in self.steps if step.phase == phase]
        return bool(steps) and all(step.status == "done" for step in steps)


def migration_status(url: str, *, settings: ExecutorSettings | None = None) -> list[MigrationRecord]:
    """Every migration recorded in the database at ``url``, oldest first; [] if zdt never ran there."""
    settings = settings or ExecutorSettings()
    with connect(url, settings, "status") as conn:
        if not state.schema_exists(conn):
            return []
        running = lock_holder(conn) is not None
        return [_record(conn, row, running) for row in state.list_migrations(conn)]


def _record(conn: psycopg.Connection, row: state.MigrationRow, running: bool) -> MigrationRecord:
    steps = []
    for step in state.load_steps(conn, row.id).values():
        progress = state.load_progress(conn, row.id, step.step_id)
        backfill = None
        if progress is not None:
            backfill = BackfillRecord(
                rows_done=progress.rows_done,
                rows_total=progress.rows_total,
                batches=progress.batches,
                batch_size=progress.batch_size,
                last_key=progress.last_key,
                high_key=progress.high_key,
            )
        steps.append(
            StepRecord(
                step_id=step.step_id,
                phase=step.phase,
                status=step.status,
                attempts=step.attempts,
                rows=step.rows,
                error=step.error,
                started_at=step.started_at,
                finished_at=step.finished_at,
                backfill=backfill,
            )
        )
    return MigrationRecord(
        id=row.id,
        status=row.status,
        plan_hash=row.plan_hash,
        fingerprint_before=row.fingerprint_before,
        fingerprint_after=row.fingerprint_after,
        error=row.error,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        executor_running=running and row.status in ("running", "rolling_back"),
        steps=steps,
    )
