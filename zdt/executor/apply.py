"""Apply a checked plan to a database, phase by phase, step by step, resumably.

Order of business: refuse a tampered plan; take the executor lock (one executor per database); record
the migration and the schema fingerprint before it (or pick up an earlier run of the same plan); then
run the selected steps in plan order, each verified before the next starts, and stop at the first step
that fails. Running again continues where a run stopped or crashed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import psycopg

from zdt.db.urls import redact
from zdt.executor import state
from zdt.executor.advisory import ExecutorLock
from zdt.executor.context import RunContext
from zdt.executor.errors import PhaseOrderError, PlanMismatch, SchemaDrift
from zdt.executor.events import EventCallback, EventKind, EventSink, Throttle
from zdt.executor.migration_log import DEFAULT_LOG_PATH, MigrationLog
from zdt.executor.priority import lower_for_migration
from zdt.executor.result import ExecutionResult, StepResult
from zdt.executor.session import connect
from zdt.executor.settings import ExecutorSettings
from zdt.executor.state import MigrationStatus, StepStatus
from zdt.executor.step_apply import StepApplier
from zdt.executor.wal_compression import compress_own_wal
from zdt.plan.check import ensure_unchanged
from zdt.plan.model import PHASE_ORDER, MigrationPlan, Phase, Step
from zdt.schema.snapshot import fingerprint_of


def apply_plan(
    plan: MigrationPlan,
    url: str,
    *,
    phases: Iterable[Phase] | None = None,
    settings: ExecutorSettings | None = None,
    on_event: EventCallback | None = None,
    throttle: Throttle | None = None,
    log_path: Path = DEFAULT_LOG_PATH,
) -> ExecutionResult:
    """Apply the plan's steps in ``phases`` (default: all) to the database at ``url``.

    Raises PlanTampered for a plan edited after its check, and ExecutorError subclasses when the run
    cannot start (another executor, a different plan under the same id, an earlier phase not done,
    a schema the plan was not made for). A failed step is not raised: it is in the result.
    """
    ensure_unchanged(plan)
    settings = settings or ExecutorSettings()
    selected = set(phases) if phases is not None else set(PHASE_ORDER)
    with ExecutorLock(url, settings), connect(url, settings, "work") as conn:
        state.ensure_schema(conn)
        _steps_to_run(plan, _recorded_statuses(conn, plan), selected)  # refuse before recording anything
        _record_or_resume(conn, plan)
        rows = state.load_steps(conn, plan.id)
        to_run = _steps_to_run(plan, {row.step_id: row.status for row in rows.values()}, selected)
        ctx = RunContext(
            url=url,
            conn=conn,
            migration_id=plan.id,
            settings=settings,
            events=EventSink(plan.id, on_event),
            log=MigrationLog(log_path, url),
            throttle=throttle,
        )
        return _run(ctx, plan, to_run, rows, log_path)


def _run(
    ctx: RunContext, plan: MigrationPlan, to_run: list[Step], rows: dict[str, state.StepRow], log_path: Path
) -> ExecutionResult:
    conn = ctx.conn
    state.set_migration_status(conn, plan.id, MigrationStatus.RUNNING)
    phases = ", ".join(dict.fromkeys(step.phase.value for step in to_run)) or "none"
    priority = lower_for_migration(conn, ctx.settings.backend_nice)
    compression = compress_own_wal(conn, ctx.settings.wal_compression)
    ctx.log.begin("apply", plan.id, plan.content_hash(), note=f"Phases: {phases}. {priority} {compression}")
    ctx.events.emit(EventKind.MIGRATION_STARTED, message=f"{len(to_run)} steps ({phases})")
    applier = StepApplier(ctx)
    results: list[StepResult] = []
    for step in to_run:
        result = applier.apply(step, rows[step.id])
        results.append(result)
        if not result.ok:
            message = f"step {step.id} failed: {result.message}"
            state.set_migration_status(conn, plan.id, MigrationStatus.FAILED, error=message)
            ctx.log.note(f"Stopped: {message}")
            ctx.events.emit(EventKind.MIGRATION_FAILED, step.id, message)
            return ExecutionResult(
                migration_id=plan.id,
                status=MigrationStatus.FAILED,
                steps=results,
                failed_step=step.id,
                message=message,
                log_path=log_path,
            )
    after = state.load_steps(conn, plan.id)
    finished = all(row.status == StepStatus.DONE for row in after.values())
    status = MigrationStatus.DONE if finished else MigrationStatus.PARTIAL
    state.set_migration_status(conn, plan.id, status)
    message = "all steps done" if finished else f"phases done: {phases}; later phases not applied yet"
    ctx.log.note(f"Finished: {message}.")
    ctx.events.emit(EventKind.MIGRATION_DONE, message=message)
    return ExecutionResult(
        migration_id=plan.id, status=status, steps=results, message=message, log_path=log_path
    )


def _record_or_resume(conn: psycopg.Connection, plan: MigrationPlan) -> None:
    """First run: record the plan and the fingerprint before it. Later runs: same plan, or refuse."""
    existing = state.load_migration(conn, plan.id)
    replaceable = existing is not None and existing.status == MigrationStatus.ROLLED_BACK
    if existing is not None and existing.plan_hash == plan.content_hash():
        return
    if existing is not None and not replaceable:
        raise PlanMismatch(
            f"migration {plan.id} was started on {redact(conn.info.dsn)} with a different plan "
            f"(hash {existing.plan_hash[:12]}, this plan {plan.content_hash()[:12]}): "
            "finish or roll back that one first, or give this plan another id"
        )
    fingerprint = fingerprint_of(conn)
    if plan.schema_fingerprint and plan.schema_fingerprint != fingerprint:
        raise SchemaDrift(
            f"plan {plan.id} was made for schema {plan.schema_fingerprint[:12]}, but the database is at "
            f"{fingerprint[:12]}: the schema changed since planning; plan again"
        )
    state.record_migration(conn, plan, fingerprint)


def _recorded_statuses(conn: psycopg.Connection, plan: MigrationPlan) -> dict[str, str]:
    """Step statuses recorded for this very plan; empty if it never ran here."""
    existing = state.load_migration(conn, plan.id)
    if existing is None or existing.plan_hash != plan.content_hash():
        return {}
    return {row.step_id: row.status for row in state.load_steps(conn, plan.id).values()}


def _steps_to_run(plan: MigrationPlan, statuses: dict[str, str], selected: set[Phase]) -> list[Step]:
    """The steps of the selected phases, refusing if a step of an earlier, unselected phase is not done."""
    if not selected:
        return []
    last = max(PHASE_ORDER.index(phase) for phase in selected)
    for step in plan.steps:
        earlier = PHASE_ORDER.index(step.phase) < last and step.phase not in selected
        status = statuses.get(step.id, StepStatus.PENDING.value)
        if earlier and status != StepStatus.DONE:
            raise PhaseOrderError(
                f"phase {step.phase.value} is not done (step {step.id} is {status}): apply it first"
            )
    return [step for step in plan.steps if step.phase in selected]
