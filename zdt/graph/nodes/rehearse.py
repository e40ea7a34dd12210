"""rehearse: prove the plan on a copy — apply it, then roll it back — with the monitor watching.

The copy is the staging database when the user named one, else a throwaway embedded PostgreSQL holding
the target's schema. Production is only read (to copy its schema). A failed rehearsal goes back to the
planner as a finding (within the planning rounds); the figures of a passed one go to the approver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.analysis.schema_copy import SchemaCopyError
from zdt.analysis.source import SqlSyntaxError
from zdt.compat.corpus import CorpusError, read_queries
from zdt.compat.queries import AppQuery
from zdt.db.urls import redact
from zdt.executor import ExecutionEvent, ExecutorError
from zdt.graph.context import SessionContext
from zdt.graph.monitoring import MonitorCritical, Watch
from zdt.graph.progress import Progress
from zdt.graph.rehearsal import figures, rehearsal_database, rehearse_at
from zdt.graph.reports import append_monitoring, append_traffic
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.load import LoadProcessError
from zdt.plan.model import MigrationPlan
from zdt.rehearsal.equivalence import Equivalence, prove_equivalence
from zdt.rehearsal.traffic import TrafficFeed, TrafficReport
from zdt.sessions.scratchpads import LOG_MD, REHEARSAL_DIR


def rehearse(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("rehearsal")
    ctx = runtime.context
    plan = state.migration_plan()
    assert plan is not None, "plan_gate passes a plan before the rehearsal"
    log_path = ctx.session_dir(state.session_id) / LOG_MD
    tables = {table for step in plan.steps for table in step.tables}
    traffic = ctx.settings.traffic
    sample_rows = max(ctx.settings.sample_rows, traffic.sample_rows if traffic.enabled else 0)
    app_queries = _application_queries(state.session_request().queries, progress)
    feed = TrafficFeed()
    try:
        with rehearsal_database(
            ctx.target_url, ctx.staging_url, sample_rows, target_version=plan.pg_version
        ) as database:
            progress("started", where=database.where)
            with Watch(
                database.url,
                tables,
                progress,
                interval_s=ctx.settings.monitor_interval_s,
                critical_grace_s=ctx.settings.critical_grace_s,
                traffic=feed if traffic.enabled else None,
                mark_start=False,
            ) as watch:

                def observe(event: ExecutionEvent) -> None:
                    watch.on_event(event)
                    progress.execution_event(event)

                try:
                    result = rehearse_at(
                        plan,
                        database.url,
                        settings=ctx.executor_settings("staging" if ctx.staging_url else "rehearsal"),
                        log_path=log_path,
                        on_event=observe,
                        throttle=watch.throttle,
                        traffic=traffic,
                        app_queries=app_queries,
                        feed=feed,
                        on_plan_start=watch.start_migration,
                    )
                except MonitorCritical as stopped:
                    return _stopped_by_monitor(state, ctx, progress, stopped, feed, watch)
            numbers = figures(plan, database, result) | {"monitor": watch.summary()}
            if numbers["ok"]:
                numbers["equivalence"] = _equivalence(plan, ctx, database.server_url, state.session_id)
            _write_reports(ctx.session_dir(state.session_id) / REHEARSAL_DIR, watch, numbers, result.traffic)
    except (psycopg.Error, SchemaCopyError, ExecutorError, LoadProcessError, ValueError) as error:
        reason = f"the rehearsal could not run: {_scrub(str(error), ctx)}"
        progress("failed", reason=reason)
        return {
            "status": SessionStatus.FAILED.value,
            "route": Route.STOP.value,
            "error": reason,
            "log": log_entry("rehearse", reason),
        }
    equivalence = numbers.get("equivalence") or {}
    if equivalence.get("differences"):
        numbers["ok"] = False
        return _failed(state, ctx, progress, equivalence["summary"], numbers)
    if numbers["ok"]:
        progress(
            "passed", steps=len(numbers["steps"]), total_s=numbers["total_s"], load=numbers["traffic_summary"]
        )
        return {
            "route": Route.NEXT.value,
            "rehearsal": numbers,
            "log": log_entry(
                "rehearse",
                f"passed on {numbers['where']} in {numbers['total_s']} s; {equivalence.get('summary', '')}",
            ),
        }
    finding = f"rehearsal on {numbers['where']} failed: {numbers['message']}"
    if numbers["rollback"] and not numbers["rollback"]["schema_restored"]:
        finding += f"; rollback: {numbers['rollback']['message']}"
    again = numbers.get("forward_again")
    if again and not again["ok"]:
        finding += f"; applying the plan again after the rollback failed: {again['message']}"
    if numbers["traffic_findings"]:
        finding += "; the application's load failed: " + " | ".join(numbers["traffic_findings"])
    return _failed(state, ctx, progress, finding, numbers)


def _equivalence(
    plan: MigrationPlan, ctx: SessionContext, server_url: str | None, session_id: str
) -> dict[str, Any]:
    """The proof that the plan ends where its SQL does, on copies beside the rehearsal's (same server)."""
    try:
        outcome = prove_equivalence(
            plan,
            schema_from=ctx.target_url,
            log_dir=ctx.session_dir(session_id) / REHEARSAL_DIR,
            server_url=server_url,
        )
    except (psycopg.Error, SchemaCopyError) as error:
        outcome = Equivalence(not_proven=f"the scratch copies could not be made: {_scrub(str(error), ctx)}")
    return {"summary": outcome.summary(), "differences": outcome.differences, "proven": outcome.proven}


def _application_queries(text: str | None, progress: Progress) -> list[AppQuery]:
    """The corpus's queries for the load; a corpus that does not parse only leaves them out of the load.

    The compatibility agent reports the syntax error with its line; the rehearsal still runs (with the
    generated load) so that the session's other findings are not lost to a typo in the corpus.
    """
    if not text:
        return []
    try:
        return read_queries(text, source="queries")
    except (SqlSyntaxError, CorpusError) as error:
        progress("note", reason=f"the application's queries are left out of the rehearsal load: {error}")
        return []


def _stopped_by_monitor(
    state: SessionState,
    ctx: SessionContext,
    progress: Progress,
    stopped: MonitorCritical,
    feed: TrafficFeed,
    watch: Watch,
) -> SessionUpdate:
    """The monitor stopped the rehearsal (the database or the application suffered): a finding, with why."""
    report = feed.last.report() if feed.last is not None else None
    numbers: dict[str, Any] = {"ok": False, "monitor": watch.summary(), "message": str(stopped)}
    finding = f"the monitor stopped the rehearsal: {stopped}"
    if report is not None:
        numbers["traffic"] = report.model_dump(mode="json")
        numbers["traffic_findings"] = [f.sentence() for f in report.findings]
        if report.findings:
            finding += "; the application's load failed: " + " | ".join(numbers["traffic_findings"])
    _write_reports(ctx.session_dir(state.session_id) / REHEARSAL_DIR, watch, numbers, report)
    return _failed(state, ctx, progress, finding, numbers)


def _write_reports(out: Path, watch: Watch, numbers: dict[str, Any], traffic: TrafficReport | None) -> None:
    """The rehearsal's monitoring report (charts included), its verdicts, and what the load went through.

    In their own directory: the production run writes the session's top-level report later.
    """
    watch.write_report(out)
    append_monitoring(out, "Rehearsal", numbers["monitor"])
    if traffic is not None:
        append_traffic(out, "Rehearsal", traffic)


def _failed(
    state: SessionState, ctx: SessionContext, progress: Progress, finding: str, numbers: dict[str, Any]
) -> SessionUpdate:
    """Back to the planner with the finding while planning rounds remain, else the session fails."""
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
