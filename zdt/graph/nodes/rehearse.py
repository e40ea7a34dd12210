"""rehearse: prove the plan on a copy — apply it, then roll it back — with the monitor watching.

The copy is the staging database when the user named one, else a throwaway embedded PostgreSQL holding
the target's schema. Production is only read (to copy its schema). A failed rehearsal goes back to the
planner as a finding (within the planning rounds); the figures of a passed one go to the approver.
"""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.analysis.schema_copy import SchemaCopyError
from zdt.db.urls import redact
from zdt.executor import ExecutorError
from zdt.graph.context import SessionContext
from zdt.graph.monitoring import MonitorCritical, Watch
from zdt.graph.progress import Progress
from zdt.graph.rehearsal import figures, rehearsal_database, rehearse_at
from zdt.graph.reports import append_monitoring
from zdt.graph.state import Route, SessionState, SessionStatus, log_entry
from zdt.sessions.scratchpads import LOG_MD


def rehearse(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    progress = Progress("rehearsal")
    ctx = runtime.context
    plan = state.migration_plan()
    assert plan is not None, "plan_gate passes a plan before the rehearsal"
    log_path = ctx.session_dir(state.session_id) / LOG_MD
    tables = {table for step in plan.steps for table in step.tables}
    try:
        with rehearsal_database(ctx.target_url, ctx.staging_url, ctx.settings.sample_rows) as database:
            progress("started", where=database.where)
            with Watch(database.url, tables, progress, interval_s=ctx.settings.monitor_interval_s) as watch:

                def observe(event: Any) -> None:
                    watch.on_event(event)
                    progress.execution_event(event)

                result = rehearse_at(
                    plan,
                    database.url,
                    settings=ctx.settings.executor,
                    log_path=log_path,
                    on_event=observe,
                    throttle=watch.throttle,
                )
            numbers = figures(plan, database, result) | {"monitor": watch.summary()}
            watch.write_report(ctx.session_dir(state.session_id) / "rehearsal")
            append_monitoring(ctx.session_dir(state.session_id), "Rehearsal", numbers["monitor"])
    except (psycopg.Error, SchemaCopyError, ExecutorError, MonitorCritical, ValueError) as error:
        reason = f"the rehearsal could not run: {_scrub(str(error), ctx)}"
        progress("failed", reason=reason)
        return {
            "status": SessionStatus.FAILED.value,
            "route": Route.STOP.value,
            "error": reason,
            "log": log_entry("rehearse", reason),
        }
    if numbers["ok"]:
        progress("passed", steps=len(numbers["steps"]), total_s=numbers["total_s"])
        return {
            "route": Route.NEXT.value,
            "rehearsal": numbers,
            "log": log_entry("rehearse", f"passed on {numbers['where']} in {numbers['total_s']} s"),
        }
    finding = f"rehearsal on {numbers['where']} failed: {numbers['message']}"
    if numbers["rollback"] and not numbers["rollback"]["schema_restored"]:
        finding += f"; rollback: {numbers['rollback']['message']}"
    progress("failed", reason=finding)
    if state.planning_rounds >= ctx.settings.max_planning_rounds:
        return {
            "status": SessionStatus.FAILED.value,
            "route": Route.STOP.value,
            "rehearsal": numbers,
            "error": finding,
            "log": log_entry("rehearse", finding),
        }
    return {
        "route": Route.REPLAN.value,
        "rehearsal": numbers,
        "findings": [finding],
        "log": log_entry("rehearse", finding + "; back to the planner"),
    }


def _scrub(text: str, ctx: SessionContext) -> str:
    for url in (ctx.target_url, ctx.staging_url):
        if url:
            text = text.replace(url, redact(url))
    return text
