"""One run on production: the executor applies some phases of the approved plan, the monitor beside it.

Shared by the two nodes that touch production — ``execute`` (expand and migrate, or every phase of a
plan with no contract) and ``contract`` (after the deploy gate) — so both run the same way: ``apply_plan``
verifies every step under lock_timeout, resumably (if this process dies, resuming the session runs the
node again and the executor continues where it stopped); the monitor samples the target on its own
thread and slows the executor through the throttle hook; a database that stays critical stops it. The
caller checks its own approval first and says where a failure leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.executor import ExecutionEvent, ExecutorError, MigrationStatus, apply_plan
from zdt.executor.history import record_in_history
from zdt.graph.context import SessionContext
from zdt.graph.monitoring import MonitorCritical, Watch
from zdt.graph.progress import Progress
from zdt.graph.reports import append_monitoring
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.monitor.archive import archive_earlier_report, link_earlier_reports
from zdt.plan.check import PlanTampered
from zdt.plan.model import MigrationPlan, Phase
from zdt.sessions.scratchpads import LOG_MD


def run_phases(
    state: SessionState,
    runtime: Runtime[SessionContext],
    plan: MigrationPlan,
    phases: Sequence[Phase],
    node: str,
    failure_route: Route = Route.ROLLBACK,
) -> SessionUpdate:
    """Apply ``phases`` of ``plan`` to the target, watched; route a failure to ``failure_route``."""
    progress = Progress("executor")
    ctx = runtime.context
    out = ctx.session_dir(state.session_id)
    steps = [step for step in plan.steps if step.phase in phases]
    tables = {table for step in steps for table in step.tables}
    progress("started", plan=plan.id, steps=len(steps), phases=[phase.value for phase in phases])
    try:
        watch = Watch(
            ctx.target_url,
            tables,
            progress,
            interval_s=ctx.settings.monitor_interval_s,
            critical_grace_s=ctx.settings.critical_grace_s,
        )
    except psycopg.Error as error:
        return stop(node, f"cannot reach the target: {error}")
    try:
        with watch:

            def observe(event: ExecutionEvent) -> None:
                watch.on_event(event)
                progress.execution_event(event)
                if ctx.recorder is not None:
                    ctx.recorder.execution_event(event, "production")

            result = apply_plan(
                plan,
                ctx.target_url,
                phases=phases,
                settings=ctx.executor_settings("production"),
                on_event=observe,
                throttle=watch.throttle,
                log_path=out / LOG_MD,
            )
            watch.observe_after()
    except (PlanTampered, ExecutorError) as error:  # refused before any step ran: nothing to undo
        progress("refused", reason=str(error))
        return stop(node, f"the executor refused to start: {error}")
    except (psycopg.Error, MonitorCritical) as error:
        return _failed(node, failure_route, progress, watch, f"the run stopped: {error}", None)
    finally:
        archive_earlier_report(out)  # a retried or resumed run: the earlier report stays, linked
        if not watch.write_report(out):  # the monitor's own report, charts included; else a summary
            append_monitoring(out, "Production run", watch.summary())
        link_earlier_reports(out)
    monitor = watch.summary() | {"run": node}
    execution = result.model_dump(mode="json", exclude={"log_path"})
    execution |= {
        "steps": _earlier_steps(state, execution["steps"]) + execution["steps"],
        "ok": result.ok,
        "phases": [phase.value for phase in phases],
        "phases_done": state.executed_phases(),
    }
    if not result.ok:
        return _failed(node, failure_route, progress, watch, result.message, execution, result.failed_step)
    progress("finished", message=result.message)
    recorded = (
        record_in_history(plan, ctx.target_url, result) if result.status is MigrationStatus.DONE else []
    )
    for line in recorded:
        progress("note", reason=line)
    done = state.executed_phases() + [phase.value for phase in phases]
    return {
        "route": Route.NEXT.value,
        "execution": execution | {"history": recorded, "phases_done": done},
        "monitor_verdicts": [monitor],
        "error": None,
        "log": log_entry(node, "; ".join([result.message, *recorded])),
    }


def _earlier_steps(state: SessionState, now: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The step results of the earlier run (expand and migrate, before contract), so the session's record
    of what ran in production stays whole across the deploy gate."""
    ran_now = {step.get("step_id") for step in now}
    earlier = (state.execution or {}).get("steps") or []
    return [step for step in earlier if step.get("step_id") not in ran_now]


def _failed(
    node: str,
    route: Route,
    progress: Progress,
    watch: Watch,
    message: str,
    execution: dict[str, Any] | None,
    failed_step: str | None = None,
) -> SessionUpdate:
    progress("failed", reason=message)
    then = "rolling back" if route is Route.ROLLBACK else "the gate asks again"
    return {
        "route": route.value,
        "execution": execution or {"ok": False, "message": message, "failed_step": failed_step},
        "monitor_verdicts": [watch.summary() | {"run": node}],
        "error": message,
        "log": log_entry(node, f"{message}; {then}"),
    }


def stop(node: str, reason: str) -> SessionUpdate:
    """End the session as failed before production was touched (a refusal, an unreachable target)."""
    return {
        "route": Route.STOP.value,
        "status": SessionStatus.FAILED.value,
        "error": reason,
        "log": log_entry(node, reason),
    }
