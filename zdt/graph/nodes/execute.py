"""execute: the production step. The executor applies the approved plan's expand and migrate phases.

Before anything else it checks, itself, that the recorded plan approval approves the hash of exactly
this plan (the approval node checked too; this node does not trust how it was reached). A plan with
contract steps stops after migrate: contract removes what the old application release uses, so it waits
at the deploy gate for its own approval. Right before the first production step it keeps a schema-only
snapshot of the target with the session (zdt.graph.backup; once: a retry keeps the first one). A failed
step, a broken connection or a critical stop route to rollback; a run that could not start (another
executor, a schema that drifted since planning) stops with nothing changed.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from zdt.graph.approvals import refusal
from zdt.graph.backup import keep_schema_snapshot
from zdt.graph.context import SessionContext
from zdt.graph.production import run_phases, stop
from zdt.graph.progress import Progress
from zdt.graph.state import SessionState, SessionUpdate
from zdt.plan.model import PHASE_ORDER, Phase


def execute(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    plan = state.migration_plan()
    reason = refusal(plan, state.latest_approval(), state.plan_hash)
    if reason is not None or plan is None:
        Progress("executor")("refused", reason=reason)
        return stop("execute", f"refused to touch production: {reason}")
    snapshot = state.schema_snapshot
    if not (snapshot or {}).get("path"):
        snapshot = keep_schema_snapshot(
            runtime.context.target_url, runtime.context.session_dir(state.session_id)
        )
        said = (
            snapshot.get("error") or f"{snapshot['path']} ({snapshot['bytes']} bytes, {snapshot['pg_dump']})"
        )
        Progress("executor")("note", reason=f"schema snapshot of the target: {said}")
    phases = [phase for phase in PHASE_ORDER if phase is not Phase.CONTRACT or not plan.steps_in(phase)]
    update = run_phases(state, runtime, plan, phases, "execute")
    return update | {"execution_attempts": state.execution_attempts + 1, "schema_snapshot": snapshot}
