"""Apply one step, verified, so that it is either done and proven or failed with the database as before.

* transactional step: forward SQL, verification and the ``done`` mark in ONE transaction; a failed
  verification (or any error) rolls all three back together;
* non-transactional step (CONCURRENTLY): each statement in autocommit, then the verification; on failure
  ``on_failure_sql`` removes what the statement left behind (an INVALID index);
* backfill step: batches (see backfill.py), then the verification and the ``done`` mark together.

Every attempt first counts itself in ``zdt.steps`` (committed on its own), so a step found ``running``
after a crash is one whose outcome is unknown, and :meth:`StepApplier._resume` finds it out; so is a
step that failed with leftovers (its cleanup failed too), which must be cleaned up before it is redone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

from zdt.executor import state
from zdt.executor.backfill import BackfillRunner
from zdt.executor.cleanup import run_cleanup
from zdt.executor.context import RunContext
from zdt.executor.events import EventKind
from zdt.executor.failure import StepFailure, VerificationFailed
from zdt.executor.queue_guard import LockQueueGuardTripped
from zdt.executor.result import StepResult
from zdt.executor.retry import LockRetriesExhausted
from zdt.executor.session import plan_sql, reset_timeouts, set_timeouts
from zdt.executor.state import StepStatus
from zdt.executor.verify import run_verification
from zdt.plan.model import Step, Timeouts

T = TypeVar("T")


class StepApplier:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def apply(self, step: Step, row: state.StepRow) -> StepResult:
        if row.status == StepStatus.DONE:
            self.ctx.events.emit(EventKind.STEP_SKIPPED, step.id, "already done")
            return StepResult(step_id=step.id, action="skip", ok=True, status=StepStatus.DONE, rows=row.rows)
        timeouts = self.ctx.settings.timeouts_for(step)
        started = time.monotonic()
        try:
            unknown = row.status == StepStatus.RUNNING or (row.status == StepStatus.FAILED and row.leftovers)
            if unknown and self._resume(step, timeouts):
                return StepResult(
                    step_id=step.id,
                    action="resume",
                    ok=True,
                    status=StepStatus.DONE,
                    message="verified on resume",
                    duration_s=time.monotonic() - started,
                )
            self.ctx.wait_for_throttle(step.id)
            self.ctx.events.emit(EventKind.STEP_STARTED, step.id, step.description)
            rows: int | None
            if step.backfill is not None:
                rows, retries, note = self._backfill(step, timeouts)
            elif step.transactional:
                (rows, note), retries = self._transactional(step, timeouts)
            else:
                note, retries = self._non_transactional(step, timeouts)
                rows = None
        except StepFailure as failure:
            return self._failed(step, failure, started)
        duration = time.monotonic() - started
        self.ctx.log.entry(
            step.id,
            "apply",
            sql=_shown_sql(step),
            duration_s=duration,
            rows=rows,
            result=note,
            retries=retries,
        )
        self.ctx.events.emit(EventKind.STEP_DONE, step.id, note, elapsed_s=duration, rows=rows)
        return StepResult(
            step_id=step.id,
            action="apply",
            ok=True,
            status=StepStatus.DONE,
            message=note,
            rows=rows,
            retries=retries,
            duration_s=duration,
        )

    # --- the three kinds of step ------------------------------------------------------------------

    def _transactional(self, step: Step, timeouts: Timeouts) -> tuple[tuple[int | None, str], int]:
        conn, mid = self.ctx.conn, self.ctx.migration_id

        def attempt() -> tuple[int | None, str]:
            state.mark_step_running(conn, mid, step.id)
            with conn.transaction():
                set_timeouts(conn, timeouts, local=True)
                with self.ctx.lock_queue_guard():
                    counts = [conn.execute(plan_sql(statement)).rowcount for statement in step.sql]
                note = self._verify(step)
                rows = sum(c for c in counts if c > 0) if any(c >= 0 for c in counts) else None
                state.mark_step(conn, mid, step.id, StepStatus.DONE, rows=rows or 0)
            return rows, note

        return self._with_retries(step, timeouts, attempt)

    def _non_transactional(self, step: Step, timeouts: Timeouts) -> tuple[str, int]:
        conn, mid = self.ctx.conn, self.ctx.migration_id

        def attempt() -> str:
            state.mark_step_running(conn, mid, step.id)
            set_timeouts(conn, timeouts, local=False)
            try:
                with self.ctx.lock_queue_guard():
                    for statement in step.sql:
                        conn.execute(plan_sql(statement))
            except (psycopg.Error, LockQueueGuardTripped) as error:
                reset_timeouts(conn)
                run_cleanup(self.ctx, step, timeouts, f"{_error_name(error)}: {error}")
                raise
            reset_timeouts(conn)
            try:
                note = self._verify(step)
            except VerificationFailed as failure:
                run_cleanup(self.ctx, step, timeouts, str(failure))
                raise
            state.mark_step(conn, mid, step.id, StepStatus.DONE)
            return note

        return self._with_retries(step, timeouts, attempt)

    def _backfill(self, step: Step, timeouts: Timeouts) -> tuple[int, int, str]:
        conn, mid = self.ctx.conn, self.ctx.migration_id
        state.mark_step_running(conn, mid, step.id)
        runner = BackfillRunner(self.ctx, step, timeouts)
        try:
            rows = runner.run()
        except (LockRetriesExhausted, psycopg.Error) as error:
            done = state.load_progress(conn, mid, step.id)
            kept = done.rows_done if done else 0
            raise StepFailure(
                f"backfill stopped: {error}",
                restored=False,
                state=(
                    f"The {kept} rows of the batches committed before it are kept and recorded in "
                    "zdt.backfill_progress: applying again resumes after them; `zdt rollback` undoes them."
                ),
                retries=runner.retries,
            ) from error
        try:
            with conn.transaction():
                note = self._verify(step)
                state.mark_step(conn, mid, step.id, StepStatus.DONE, rows=rows)
        except VerificationFailed as failure:
            if not step.on_failure_sql:
                raise StepFailure(
                    str(failure),
                    restored=False,
                    state=f"The backfill's {rows} updated rows are kept; `zdt rollback` undoes them.",
                    retries=runner.retries,
                ) from failure
            run_cleanup(self.ctx, step, timeouts, str(failure))
            state.clear_progress(conn, mid, step.id)
            raise StepFailure(str(failure), retries=runner.retries) from failure
        paced = f"; {runner.wal_pacer.describe()}" if runner.wal_pacer else ""
        return rows, runner.retries, f"{note}; {rows} rows{paced}"

    # --- shared -----------------------------------------------------------------------------------

    def _verify(self, step: Step) -> str:
        """Run the verification on the work connection; raise VerificationFailed unless it passes."""
        try:
            outcome = run_verification(self.ctx.conn, step.verify)
        except psycopg.Error as error:
            raise VerificationFailed(f"verification query failed: {_error_name(error)}: {error}") from error
        if not outcome.passed:
            raise VerificationFailed(outcome.describe())
        return outcome.describe()

    def _with_retries(self, step: Step, timeouts: Timeouts, attempt: Callable[[], T]) -> tuple[T, int]:
        try:
            return self.ctx.retry(step.id, timeouts, attempt)
        except LockRetriesExhausted as error:
            raise StepFailure(
                f"lock not granted within {timeouts.lock_timeout_ms} ms; "
                f"gave up after {error.retries} retries",
                retries=error.retries,
            ) from error
        except psycopg.Error as error:
            raise StepFailure(f"{_error_name(error)}: {error}") from error

    def _resume(self, step: Step, timeouts: Timeouts) -> bool:
        """A step found ``running``: True if it turns out to be done, else make it safe to redo."""
        conn, mid = self.ctx.conn, self.ctx.migration_id
        if step.backfill is not None:
            self._resumed(step, "backfill interrupted: continuing after its last committed batch")
            return False
        if step.transactional:
            self._resumed(step, "interrupted inside its transaction, which never committed: running it again")
            return False
        try:
            note = self._verify(step)
        except VerificationFailed as failure:
            run_cleanup(self.ctx, step, timeouts, f"interrupted and not verified ({failure})")
            self._resumed(step, "interrupted and not verified: cleaned up, running it again")
            return False
        state.mark_step(conn, mid, step.id, StepStatus.DONE)
        self._resumed(step, f"interrupted after its statement ran: {note}; marked done")
        return True

    def _resumed(self, step: Step, message: str) -> None:
        self.ctx.log.entry(step.id, "resume", result=message)
        self.ctx.events.emit(EventKind.STEP_RESUMED, step.id, message)

    def _failed(self, step: Step, failure: StepFailure, started: float) -> StepResult:
        duration = time.monotonic() - started
        state.mark_step(
            self.ctx.conn,
            self.ctx.migration_id,
            step.id,
            StepStatus.FAILED,
            error=str(failure),
            leftovers=not failure.restored,
        )
        self.ctx.log.entry(
            step.id,
            "apply",
            sql=_shown_sql(step),
            duration_s=duration,
            result=f"FAILED: {failure}. {failure.state}",
            retries=failure.retries,
        )
        self.ctx.events.emit(
            EventKind.STEP_FAILED, step.id, f"{failure}. {failure.state}", elapsed_s=duration
        )
        return StepResult(
            step_id=step.id,
            action="apply",
            ok=False,
            status=StepStatus.FAILED,
            message=f"{failure}. {failure.state}",
            retries=failure.retries,
            duration_s=duration,
            database_restored=failure.restored,
        )


def _shown_sql(step: Step) -> list[str]:
    """The SQL a reader of the log should see for a step: its statements, or the backfill's batch shape."""
    if step.backfill is None:
        return step.sql
    b = step.backfill
    bounds = f"{b.key_column} > $last AND {b.key_column} <= $upper"
    keep = b.keep_sql(bounds=bounds)
    return [*([keep] if keep else []), b.statement_sql(bounds=bounds)]


def _error_name(error: Exception) -> str:
    sqlstate = getattr(error, "sqlstate", None)
    return f"{type(error).__name__} ({sqlstate})" if sqlstate else type(error).__name__
