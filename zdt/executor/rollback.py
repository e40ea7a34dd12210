"""Roll a whole migration back from wherever it stands, in reverse order of its steps.

Whatever the executor ran is undone; the proof it worked is the schema fingerprint, compared with the one
recorded before the migration's first step. A mismatch is not papered over: the migration is marked
``rollback_failed`` and the message shows both fingerprints.
"""

from __future__ import annotations

from pathlib import Path

from zdt.executor import state
from zdt.executor.advisory import ExecutorLock
from zdt.executor.context import RunContext
from zdt.executor.errors import MigrationNotFound, PlanMismatch
from zdt.executor.events import EventCallback, EventKind, EventSink, Throttle
from zdt.executor.migration_log import DEFAULT_LOG_PATH, MigrationLog
from zdt.executor.priority import lower_for_migration
from zdt.executor.result import RollbackResult, StepResult
from zdt.executor.session import connect
from zdt.executor.settings import ExecutorSettings
from zdt.executor.state import MigrationStatus
from zdt.executor.step_undo import StepUndoer
from zdt.plan.check import ensure_unchanged
from zdt.plan.model import MigrationPlan
from zdt.schema.snapshot import fingerprint_of


def rollback_migration(
    plan: MigrationPlan,
    url: str,
    *,
    settings: ExecutorSettings | None = None,
    on_event: EventCallback | None = None,
    throttle: Throttle | None = None,
    log_path: Path = DEFAULT_LOG_PATH,
) -> RollbackResult:
    """Undo every step of ``plan`` that is in the database, last first, and check the schema is as before."""
    ensure_unchanged(plan)
    settings = settings or ExecutorSettings()
    with ExecutorLock(url, settings), connect(url, settings, "rollback") as conn:
        migration = state.load_migration(conn, plan.id) if state.schema_exists(conn) else None
        if migration is None:
            raise MigrationNotFound(f"migration {plan.id} was never applied to this database")
        if migration.plan_hash != plan.content_hash():
            raise PlanMismatch(
                f"migration {plan.id} was applied with a different plan (hash {migration.plan_hash[:12]}): "
                "roll back with the plan that was applied"
            )
        ctx = RunContext(
            url=url,
            conn=conn,
            migration_id=plan.id,
            settings=settings,
            events=EventSink(plan.id, on_event),
            log=MigrationLog(log_path, url),
            throttle=throttle,
        )
        return _roll_back(ctx, plan, migration.fingerprint_before, log_path)


def _roll_back(ctx: RunContext, plan: MigrationPlan, before: str, log_path: Path) -> RollbackResult:
    conn = ctx.conn
    rows = state.load_steps(conn, plan.id)
    state.set_migration_status(conn, plan.id, MigrationStatus.ROLLING_BACK)
    ctx.log.begin(
        "rollback", plan.id, plan.content_hash(), note=lower_for_migration(conn, ctx.settings.backend_nice)
    )
    ctx.events.emit(EventKind.ROLLBACK_STARTED, message=f"rolling back {plan.id}")
    undoer = StepUndoer(ctx)
    results: list[StepResult] = []
    for step in reversed(plan.steps):
        result = undoer.undo(step, rows[step.id])
        if result is None:
            continue
        results.append(result)
        if not result.ok:
            message = f"rollback stopped at step {step.id}: {result.message}"
            return _finish(
                ctx,
                plan,
                MigrationStatus.ROLLBACK_FAILED,
                message,
                results,
                before,
                None,
                log_path,
                stopped_at=step.id,
            )
    after = fingerprint_of(conn)
    if after == before:
        message = f"rolled back {len(results)} steps; the schema is as before the migration ({after[:12]})"
        return _finish(ctx, plan, MigrationStatus.ROLLED_BACK, message, results, before, after, log_path)
    message = (
        f"SCHEMA MISMATCH after rollback: fingerprint {after[:12]} differs from {before[:12]} recorded "
        "before the migration; compare the schema by hand before going on"
    )
    return _finish(ctx, plan, MigrationStatus.ROLLBACK_FAILED, message, results, before, after, log_path)


def _finish(
    ctx: RunContext,
    plan: MigrationPlan,
    status: MigrationStatus,
    message: str,
    results: list[StepResult],
    before: str,
    after: str | None,
    log_path: Path,
    stopped_at: str | None = None,
) -> RollbackResult:
    failed = status is not MigrationStatus.ROLLED_BACK
    state.set_migration_status(
        ctx.conn, plan.id, status, error=message if failed else None, fingerprint_after=after
    )
    ctx.log.note(("Rollback FAILED: " if failed else "Rollback finished: ") + message)
    ctx.events.emit(EventKind.ROLLBACK_FAILED if failed else EventKind.ROLLBACK_DONE, stopped_at, message)
    return RollbackResult(
        migration_id=plan.id,
        status=status,
        steps=results,
        stopped_at=stopped_at,
        message=message,
        fingerprint_before=before,
        fingerprint_after=after,
        log_path=log_path,
    )
