"""rollback: undo what the run did to production, and prove it by the schema fingerprint.

Any failure after the approval that the executor agent does not advise retrying leads here: a failed
step, a broken connection, a critical monitor, a failed verification. A rollback advised as "revise"
sends the agent's revised SQL back to the planner, through the gate and a new approval. The proof is the
fingerprint: the schema after the rollback must hash to what it was before the migration's first step.
"""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.executor import ExecutorError, MigrationNotFound, rollback_migration
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.sessions.scratchpads import LOG_MD


def rollback(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("executor")
    ctx = runtime.context
    plan = state.migration_plan()
    assert plan is not None
    failure = state.error or "the migration failed"
    progress("rolling_back", reason=failure)
    advice = state.advice or {"action": "rollback", "explanation": "no advice was asked for"}
    try:
        result = rollback_migration(
            plan,
            ctx.target_url,
            settings=ctx.executor_settings("production"),
            on_event=progress.execution_event,
            log_path=ctx.session_dir(state.session_id) / LOG_MD,
        )
    except MigrationNotFound:
        return _finish(
            progress, SessionStatus.FAILED, f"{failure}; nothing was applied, nothing to undo", advice
        )
    except (ExecutorError, psycopg.Error) as error:
        return _finish(
            progress, SessionStatus.FAILED, f"{failure}; the rollback could not run: {error}", advice
        )
    restored = result.ok and result.schema_restored
    figures = {
        "ok": restored,
        "message": result.message,
        "fingerprint_before": result.fingerprint_before,
        "fingerprint_after": result.fingerprint_after,
        "steps_undone": len(result.steps),
    }
    status = SessionStatus.ROLLED_BACK if restored else SessionStatus.FAILED
    finished = _finish(progress, status, f"{failure}; {result.message}", advice, figures)
    revised = advice.get("revised_sql") if advice.get("action") == "revise" else None
    if restored and revised:  # a revised step goes back through the gate and the approval
        finished |= {
            "route": Route.REPLAN.value,
            "status": SessionStatus.PLANNING.value,
            "draft_sql": revised,
            "findings": [f"the executor revised the plan after '{failure}': {advice.get('explanation', '')}"],
            "planning_rounds": 0,
        }
    return finished


def _finish(
    progress: Progress,
    status: SessionStatus,
    message: str,
    advice: dict[str, Any],
    figures: dict[str, Any] | None = None,
) -> SessionUpdate:
    progress("finished", status=status.value, message=message)
    return {
        "route": Route.NEXT.value,
        "status": status.value,
        "rollback": (figures or {"ok": False, "message": message}) | {"advice": advice},
        "error": message,
        "log": log_entry("rollback", message),
    }
