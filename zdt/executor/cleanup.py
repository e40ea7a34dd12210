"""Undo what a failed non-transactional step left behind (``Step.on_failure_sql``).

A failed ``CREATE INDEX CONCURRENTLY`` leaves an INVALID index that still slows every write; dropping it
is what makes "the database is as before this step" true for steps that cannot run in a transaction.
"""

from __future__ import annotations

import time

import psycopg

from zdt.executor.context import RunContext
from zdt.executor.events import EventKind
from zdt.executor.failure import StepFailure
from zdt.executor.retry import LockRetriesExhausted
from zdt.executor.session import plan_sql, reset_timeouts, set_timeouts
from zdt.plan.model import Step, Timeouts


def run_cleanup(ctx: RunContext, step: Step, timeouts: Timeouts, reason: str) -> None:
    """Run on_failure_sql (if any) under the step's timeouts; raise StepFailure if it cannot."""
    if not step.on_failure_sql:
        return
    started = time.monotonic()

    def attempt() -> None:
        set_timeouts(ctx.conn, timeouts, local=False)
        try:
            for statement in step.on_failure_sql:
                ctx.conn.execute(plan_sql(statement))
        finally:
            reset_timeouts(ctx.conn)

    try:
        _, retries = ctx.retry(step.id, timeouts, attempt, what="cleanup")
    except (LockRetriesExhausted, psycopg.Error) as error:
        state = f"The cleanup after the failure failed ({error}): the database is NOT as before this step."
        ctx.log.entry(
            step.id,
            "cleanup",
            sql=step.on_failure_sql,
            duration_s=time.monotonic() - started,
            result=f"FAILED: {state}",
        )
        raise StepFailure(f"{reason}; cleanup failed: {error}", restored=False, state=state) from error
    ctx.log.entry(
        step.id,
        "cleanup",
        sql=step.on_failure_sql,
        duration_s=time.monotonic() - started,
        result=f"done after: {reason}",
        retries=retries,
    )
    ctx.events.emit(EventKind.CLEANUP, step.id, f"ran on_failure_sql after: {reason}")
