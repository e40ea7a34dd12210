"""Undo one step during a rollback, according to what the bookkeeping says it left in the database.

* ``pending``, ``rolled_back``, ``failed`` cleanly: nothing of it is in the database; nothing to do;
* ``running`` transactional: its transaction never committed; nothing to undo;
* ``running`` non-transactional, or ``failed`` with leftovers (its cleanup failed): ``on_failure_sql``;
* ``done``, or a backfill that committed batches and did not finish: ``Rollback.sql``, in one transaction with
  the ``rolled_back`` mark when ``Rollback.transactional``; an irreversible step stops the rollback.
"""

from __future__ import annotations

import time

import psycopg

from zdt.executor import state
from zdt.executor.cleanup import run_cleanup
from zdt.executor.context import RunContext
from zdt.executor.events import EventKind
from zdt.executor.failure import StepFailure
from zdt.executor.result import StepResult
from zdt.executor.retry import LockRetriesExhausted
from zdt.executor.session import plan_sql, reset_timeouts, set_timeouts
from zdt.executor.state import StepStatus
from zdt.plan.model import Step, Timeouts

_NOTHING_APPLIED = (StepStatus.PENDING, StepStatus.ROLLED_BACK)


class StepUndoer:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def undo(self, step: Step, row: state.StepRow) -> StepResult | None:
        """Undo ``step``; None when there was nothing to undo."""
        if row.status in _NOTHING_APPLIED or (row.status == StepStatus.FAILED and not row.leftovers):
            return None
        timeouts = self.ctx.settings.timeouts_for(step)
        started = time.monotonic()
        if row.status != StepStatus.DONE and step.backfill is None:
            return self._interrupted(step, timeouts, started)
        if not step.rollback.is_reversible:
            message = f"step {step.id} cannot be undone: {step.rollback.irreversible}"
            self.ctx.log.entry(step.id, "rollback", result=f"STOPPED: {message}")
            self.ctx.events.emit(EventKind.ROLLBACK_FAILED, step.id, message)
            return StepResult(
                step_id=step.id, action="rollback", ok=False, status=StepStatus(row.status), message=message
            )
        self.ctx.wait_for_throttle(step.id)
        self.ctx.events.emit(EventKind.ROLLBACK_STEP, step.id, f"undoing: {step.description}")
        try:
            _, retries = self.ctx.retry(
                step.id, timeouts, lambda: self._run_rollback(step, timeouts), what="rollback"
            )
        except (LockRetriesExhausted, psycopg.Error) as error:
            return self._failed(step, row, str(error), started)
        duration = time.monotonic() - started
        self.ctx.log.entry(
            step.id,
            "rollback",
            sql=step.rollback.sql,
            duration_s=duration,
            result="rolled back",
            retries=retries,
        )
        self.ctx.events.emit(EventKind.ROLLBACK_STEP, step.id, "rolled back", elapsed_s=duration)
        return StepResult(
            step_id=step.id,
            action="rollback",
            ok=True,
            status=StepStatus.ROLLED_BACK,
            message="rolled back",
            retries=retries,
            duration_s=duration,
        )

    def _run_rollback(self, step: Step, timeouts: Timeouts) -> None:
        """One attempt; the bookkeeping commits with the undo when the undo is transactional."""
        conn = self.ctx.conn
        if step.rollback.transactional:
            with conn.transaction():
                set_timeouts(conn, timeouts, local=True)
                for statement in step.rollback.sql:
                    conn.execute(plan_sql(statement))
                self._mark_rolled_back(step)
            return
        set_timeouts(conn, timeouts, local=False)
        try:
            for statement in step.rollback.sql:
                conn.execute(plan_sql(statement))
        finally:
            reset_timeouts(conn)
        with conn.transaction():
            self._mark_rolled_back(step)

    def _mark_rolled_back(self, step: Step) -> None:
        state.clear_progress(self.ctx.conn, self.ctx.migration_id, step.id)
        state.mark_step(self.ctx.conn, self.ctx.migration_id, step.id, StepStatus.ROLLED_BACK)

    def _interrupted(self, step: Step, timeouts: Timeouts, started: float) -> StepResult:
        """A step a crash left ``running``: its transaction rolled back, or its leftovers need cleaning."""
        if step.transactional:
            note = "interrupted inside its transaction, which never committed: nothing to undo"
        else:
            try:
                run_cleanup(self.ctx, step, timeouts, "rolling back an interrupted step")
            except StepFailure as failure:
                return StepResult(
                    step_id=step.id,
                    action="rollback",
                    ok=False,
                    status=StepStatus.RUNNING,
                    message=f"{failure}. {failure.state}",
                    duration_s=time.monotonic() - started,
                )
            note = "interrupted: cleaned up with on_failure_sql"
        with self.ctx.conn.transaction():
            self._mark_rolled_back(step)
        self.ctx.log.entry(step.id, "rollback", result=note, duration_s=time.monotonic() - started)
        self.ctx.events.emit(EventKind.ROLLBACK_STEP, step.id, note)
        return StepResult(
            step_id=step.id, action="rollback", ok=True, status=StepStatus.ROLLED_BACK, message=note
        )

    def _failed(self, step: Step, row: state.StepRow, error: str, started: float) -> StepResult:
        message = f"rollback of step {step.id} failed: {error}; the step is still applied"
        state.record_step_error(self.ctx.conn, self.ctx.migration_id, step.id, message)
        duration = time.monotonic() - started
        self.ctx.log.entry(
            step.id, "rollback", sql=step.rollback.sql, duration_s=duration, result=f"FAILED: {message}"
        )
        self.ctx.events.emit(EventKind.ROLLBACK_FAILED, step.id, message, elapsed_s=duration)
        return StepResult(
            step_id=step.id,
            action="rollback",
            ok=False,
            status=StepStatus(row.status),
            message=message,
            duration_s=duration,
        )
