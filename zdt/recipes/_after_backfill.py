"""What every recipe with a big backfill does next: VACUUM (ANALYZE), and patience for harmless locks.

Not a recipe: the shared tail of add-column-not-null, change-column-type and rename-column.

Why VACUUM right after the backfill: rewriting millions of rows wakes autovacuum, whose
ShareUpdateExclusiveLock then makes the next brief AccessExclusiveLock step (a NOT NULL NOT VALID, a
swap) time out again and again — measured here: 10 retries in a row, the migration stopped. With a
lock_timeout below ``deadlock_timeout`` (1 s) PostgreSQL never asks the autovacuum to cancel itself. A
VACUUM run by the plan leaves autovacuum nothing to do, gives the planner statistics for the new values,
and itself takes only ShareUpdateExclusiveLock: reads and writes go on.

Why a patient lock_timeout for ShareUpdateExclusiveLock steps (VACUUM, VALIDATE): waiting for that lock
queues no application query (it conflicts with no lock they take), and past ``deadlock_timeout``
PostgreSQL cancels an autovacuum that holds it — so a wait of a few seconds is both safe and useful.
"""

from __future__ import annotations

from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Timeouts, Verification
from zdt.recipes.base import PlanningContext, ident, render

PATIENT_LOCK_TIMEOUT_MS = 5_000


def patient_timeouts(context: PlanningContext) -> Timeouts:
    """The plan's timeouts with a lock_timeout long enough for PostgreSQL to cancel an autovacuum."""
    timeouts = context.settings.timeouts()
    return timeouts.model_copy(
        update={"lock_timeout_ms": max(timeouts.lock_timeout_ms, PATIENT_LOCK_TIMEOUT_MS)}
    )


def patient_if_harmless(step: Step, context: PlanningContext) -> Step:
    """A step waiting for ShareUpdateExclusiveLock queues no application query: let it wait."""
    if step.lock is LockMode.SHARE_UPDATE_EXCLUSIVE:
        return step.model_copy(update={"timeouts": patient_timeouts(context)})
    return step


def vacuum_step(
    context: PlanningContext,
    table: str,
    *,
    step_id: str,
    recipe: str,
    verify: Verification,
    what_next: str = "",
) -> Step:
    """``VACUUM (ANALYZE) table`` after a backfill; ``verify`` is the recipe's own check of the data."""
    return Step(
        id=step_id,
        phase=Phase.MIGRATE,
        description=(
            f"VACUUM (ANALYZE) {table}: clears the row versions the backfill left, so autovacuum does not "
            "wake up and make the next AccessExclusiveLock step time out, and gives the planner statistics "
            f"for the new values; ShareUpdateExclusiveLock, reads and writes go on{what_next}"
        ),
        sql=[render("VACUUM (ANALYZE) {t}", t=ident(table))],
        transactional=False,
        verify=verify,
        rollback=Rollback(not_needed="VACUUM changes neither data nor schema"),
        lock=LockMode.SHARE_UPDATE_EXCLUSIVE,
        lock_duration=LockDuration.NONE,
        tables=[table],
        timeouts=patient_timeouts(context),
        recipe=recipe,
        source_statement=context.statement.index,
        source_line=context.statement.line,
    )
