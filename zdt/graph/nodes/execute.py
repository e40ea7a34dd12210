"""execute: the production step. The executor applies the approved plan to the target, monitor beside it.

Before anything else it checks, itself, that the recorded approval approves the hash of exactly this
plan (the approval node checked too; this node does not trust how it was reached). Then ``apply_plan``
runs every step verified, under lock_timeout, resumably — if this process dies, resuming the session
runs this node again and the executor continues where it stopped. The monitor samples the target on its
own thread and slows the executor through the throttle hook; a database that stays critical stops it.
A failed step, a broken connection or a critical stop route to rollback; a run that could not start
(another executor, a schema that drifted since planning) stops with nothing changed.
"""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.executor import ExecutionEvent, ExecutorError, MigrationStatus, apply_plan
from zdt.executor.history import record_in_history
from zdt.graph.approvals import refusal
from zdt.graph.context import SessionContext
from zdt.graph.monitoring import MonitorCritical, Watch
from zdt.graph.progress import Progress
from zdt.graph.reports import append_monitoring
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.monitor.archive import archive_earlier_report, link_earlier_reports
from zdt.plan.check import PlanTampered
from zdt.sessions.scratchpads import LOG_MD


def execute(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    update = _execute(state, runtime)
    return update | {"execution_attempts": state.execution_attempts + 1}


def _execute(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("executor")
    ctx = runtime.context
    plan = state.migration_plan()
    reason = refusal(plan, state.latest_approval(), state.plan_hash)
    if reason is not None or plan is None:
        progress("refused", reason=reason)
        return _stop(f"refused to touch production: {reason}")
    out = ctx.session_dir(state.session_id)
    tables = {table for step in plan.steps for table in step.tables}
    progress("started", plan=plan.id, steps=len(plan.steps))
    try:
        watch = Watch(
            ctx.target_url,
            tables,
            progress,
            interval_s=ctx.settings.monitor_interval_s,
            critical_grace_s=ctx.settings.critical_grace_s,
        )
    except psycopg.Error as error:
        return _stop(f"cannot reach the target: {error}")
    try:
        with watch:

            def observe(event: ExecutionEvent) -> None:
                watch.on_event(event)
                progress.execution_event(event)

            result = apply_plan(
                plan,
                ctx.target_url,
                settings=ctx.settings.executor,
                on_event=observe,
                throttle=watch.throttle,
                log_path=out / LOG_MD,
            )
    except (PlanTampered, ExecutorError) as error:  # refused before any step ran: nothing to undo
        progress("refused", reason=str(error))
        return _stop(f"the executor refused to start: {error}")
    except (psycopg.Error, MonitorCritical) as error:
        return _to_rollback(progress, watch, f"the run stopped: {error}", None)
    finally:
        archive_earlier_report(out)  # a retried or resumed run: the earlier report stays, linked
        if not watch.write_report(out):  # the monitor's own report, charts included; else a summary
            append_monitoring(out, "Production run", watch.summary())
        link_earlier_reports(out)
    monitor = watch.summary()
    execution = result.model_dump(mode="json", exclude={"log_path"}) | {"ok": result.ok}
    if not result.ok:
        return _to_rollback(progress, watch, result.message, execution, result.failed_step)
    progress("finished", message=result.message)
    recorded = (
        record_in_history(plan, ctx.target_url, result) if result.status is MigrationStatus.DONE else []
    )
    for line in recorded:
        progress("note", reason=line)
    return {
        "route": Route.NEXT.value,
        "execution": execution | {"history": recorded},
        "monitor_verdicts": [monitor],
        "log": log_entry("execute", "; ".join([result.message, *recorded])),
    }


def _to_rollback(
    progress: Progress,
    watch: Watch,
    message: str,
    execution: dict[str, Any] | None,
    failed_step: str | None = None,
) -> SessionUpdate:
    progress("failed", reason=message)
    return {
        "route": Route.ROLLBACK.value,
        "execution": execution or {"ok": False, "message": message, "failed_step": failed_step},
        "monitor_verdicts": [watch.summary()],
        "error": message,
        "log": log_entry("execute", f"{message}; rolling back"),
    }


def _stop(reason: str) -> SessionUpdate:
    return {
        "route": Route.STOP.value,
        "status": SessionStatus.FAILED.value,
        "error": reason,
        "log": log_entry("execute", reason),
    }
