"""verify: after the run, check from the outside that production is where the plan says it is.

The executor verified every step as it went; this node asks again with fresh eyes: the target's own
record must show this plan (by hash) with every step of the phases run so far done (expand and migrate
before the deploy gate, everything after contract), and the monitoring agent takes a last
look at the database's health. A mismatch or a critical verdict rolls back. It also reads, for the
post-migration checklist, whether any constraint on the plan's tables is left NOT VALID or any index
invalid (a recorded figure, not a reason to roll back: the target may have had them before).
"""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.agents.errors import AgentError
from zdt.agents.monitor import MonitorAgent
from zdt.executor import ExecutorError, MigrationStatus, StepStatus, migration_status
from zdt.graph.agents import run_session_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.reports import append_monitoring
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.plan.model import MigrationPlan, Phase
from zdt.schema.snapshot import SchemaSnapshot, fingerprint_of, introspect


def verify(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("monitor")
    ctx = runtime.context
    plan = state.migration_plan()
    assert plan is not None
    progress("started", plan=plan.id)
    try:
        problems, figures = _check_record(plan, ctx, state.executed_phases())
    except (psycopg.Error, ExecutorError) as error:
        problems, figures = [f"cannot read the target's migration record: {error}"], {}
    try:
        verdict = run_session_agent(
            MonitorAgent(),
            {"samples": [], "step": "after the migration"},
            session=ctx,
            session_id=state.session_id,
            progress=progress,
            environment="production",
        )
    except AgentError as error:
        problems.append(f"the monitoring agent gave no verdict: {error}")
        verdict_json: dict[str, Any] = {"level": "critical", "reasons": [str(error)], "summary": str(error)}
    else:
        verdict_json = verdict.model_dump(mode="json")
        if verdict.level == "critical":
            problems.append(f"the monitor's verdict after the run is critical: {verdict.summary}")
    append_monitoring(
        ctx.session_dir(state.session_id),
        "After the migration",
        {"level": verdict_json["level"], "final": verdict_json},
    )
    figures |= {"problems": problems, "monitor": verdict_json}
    if problems:
        progress("failed", reason="; ".join(problems))
        return {
            "route": Route.ROLLBACK.value,
            "verification": figures,
            "monitor_verdicts": [verdict_json],
            "error": "; ".join(problems),
            "log": log_entry("verify", "; ".join(problems)),
        }
    progress("passed", level=verdict_json["level"])
    waiting = plan.steps_in(Phase.CONTRACT) and Phase.CONTRACT.value not in state.executed_phases()
    return {
        "route": Route.NEXT.value,
        **({"status": SessionStatus.AWAITING_DEPLOY.value} if waiting else {}),
        "verification": figures,
        "monitor_verdicts": [verdict_json],
        "log": log_entry("verify", f"verified; monitor: {verdict_json['summary']}"),
    }


def _check_record(
    plan: MigrationPlan, ctx: SessionContext, phases_done: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """What the target's record says against what the runs so far claim: their phases' steps all done."""
    records = {
        record.id: record
        for record in migration_status(ctx.target_url, settings=ctx.executor_settings("production"))
    }
    record = records.get(plan.id)
    if record is None:
        return [f"the target has no record of migration {plan.id}"], {}
    problems = []
    if record.plan_hash != plan.content_hash():
        problems.append(f"the target ran plan hash {record.plan_hash[:12]}, not {plan.content_hash()[:12]}")
    if record.status not in (MigrationStatus.DONE, MigrationStatus.PARTIAL):
        problems.append(f"migration {plan.id} is {record.status} on the target")
    undone = [
        step.step_id for step in record.steps if step.phase in phases_done and step.status != StepStatus.DONE
    ]
    if undone:
        problems.append(f"steps not done on the target: {', '.join(undone)}")
    with psycopg.connect(ctx.target_url, connect_timeout=10) as conn:
        after = fingerprint_of(conn)
        schema = introspect(conn, sizes=False, definitions=False)
    figures = {
        "status": record.status,
        "fingerprint_before": record.fingerprint_before,
        "fingerprint_after": after,
        "steps_done": len(record.steps) - len(undone),
        "integrity": integrity(schema, {table for step in plan.steps for table in step.tables}),
    }
    return problems, figures


def integrity(schema: SchemaSnapshot, tables: set[str]) -> dict[str, Any]:
    """The constraints and indexes of ``tables`` (those that exist now), and which are not valid."""
    present = sorted(name for name in tables if name in schema.tables)
    invalid_constraints: list[str] = []
    invalid_indexes: list[str] = []
    constraints = indexes = 0
    for name in present:
        table = schema.tables[name]
        validated = [(c.name, c.validated) for c in table.checks]
        validated += [(f.name, f.validated) for f in table.foreign_keys]
        for constraint, valid in validated:
            constraints += 1
            if not valid:
                invalid_constraints.append(f"constraint {constraint} on {name} is NOT VALID")
        for index in table.indexes:
            indexes += 1
            if not index.valid:
                invalid_indexes.append(f"index {index.name} is invalid")
    return {
        "tables": present,
        "constraints": constraints,
        "indexes": indexes,
        "invalid_constraints": invalid_constraints,
        "invalid_indexes": invalid_indexes,
    }
