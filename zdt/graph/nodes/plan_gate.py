"""plan_gate: deterministic code disposes. The proposal is planned against the live schema and checked.

No model decides here: ``plan_sql`` rewrites each statement into safe phased steps, ``check_plan`` runs
the analyser, the reversibility rules and the SQL policy. A plan that passes is stamped with its hash —
the hash a person will approve — and written to MIGRATION-PLAN.md and plan.json. Problems go back to
the planner as findings, at most ``max_planning_rounds`` times, then the session stops with them.
"""

from __future__ import annotations

import psycopg
from langgraph.runtime import Runtime

from zdt.analysis.source import SqlSyntaxError
from zdt.db.urls import redact
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.plan.check import check_plan
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sources, plan_sql
from zdt.reports.plan_report import write_plan_files
from zdt.schema.snapshot import introspect


def plan_gate(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("gate")
    ctx = runtime.context
    progress("started", round=state.planning_rounds)
    try:
        with psycopg.connect(ctx.target_url, connect_timeout=10) as conn:
            snapshot = introspect(conn)
    except psycopg.Error as error:
        return _stop(progress, f"cannot read the schema of {redact(ctx.target_url)}: {error}")
    request = state.session_request()
    source = request.sql_source or "proposal"
    settings = PlannerSettings(versioned_schemas=request.versioned_schemas)
    try:
        unrevised = (state.draft_sql or "").strip() == (request.sql or "").strip()
        if request.sources and unrevised:  # a folder's migrations as they are: plan them file by file
            plan = plan_sources(
                request.sources, snapshot=snapshot, migrations=request.migrations, settings=settings
            )
        else:
            plan = plan_sql(state.draft_sql or "", source=source, snapshot=snapshot, settings=settings)
            if request.sources:
                revised = (
                    "the SQL was revised from the folder's migrations: the tool's history is not updated"
                )
                plan = plan.model_copy(update={"notes": [*plan.notes, revised]})
    except (SqlSyntaxError, PlanningError) as error:
        return _findings(progress, state, ctx, [str(error)])
    problems = check_plan(plan, snapshot)
    out = ctx.session_dir(state.session_id)
    if problems:
        write_plan_files(plan, out, problems, brain=state.brain)  # unstamped: it cannot be applied
        return _findings(progress, state, ctx, [str(problem) for problem in problems])
    stamped = plan.model_copy(update={"checked_hash": plan.content_hash()})
    write_plan_files(stamped, out, brain=state.brain)
    assert stamped.checked_hash is not None
    progress("passed", plan=stamped.id, steps=len(stamped.steps), hash=stamped.checked_hash[:12])
    return {
        "status": SessionStatus.REHEARSING.value,
        "route": Route.NEXT.value,
        "plan": stamped.model_dump(mode="json"),
        "plan_hash": stamped.checked_hash,
        "findings": [],
        "log": log_entry("plan_gate", f"plan {stamped.id} passed: {len(stamped.steps)} steps"),
    }


def _findings(
    progress: Progress, state: SessionState, ctx: SessionContext, problems: list[str]
) -> SessionUpdate:
    """Back to the planner with the problems, or stop when the rounds are used up."""
    progress("problems", count=len(problems), first=problems[0])
    if state.planning_rounds >= ctx.settings.max_planning_rounds:
        reasons = "; ".join(problems)
        return _stop(
            progress,
            f"no plan passed the gate in {state.planning_rounds} rounds: {reasons}",
            findings=problems,
        )
    return {
        "route": Route.REPLAN.value,
        "findings": problems,
        "plan": None,
        "plan_hash": None,
        "log": log_entry("plan_gate", f"{len(problems)} problems, back to the planner"),
    }


def _stop(progress: Progress, reason: str, findings: list[str] | None = None) -> SessionUpdate:
    progress("failed", reason=reason)
    update: SessionUpdate = {
        "status": SessionStatus.FAILED.value,
        "route": Route.STOP.value,
        "error": reason,
        "log": log_entry("plan_gate", reason),
    }
    if findings is not None:
        update["findings"] = findings
    return update
