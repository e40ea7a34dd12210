"""rollback: undo what the run did to production, and prove it by the schema fingerprint.

Any failure after the approval leads here: a failed step, a broken connection, a critical monitor, a
failed verification. The executor agent first says what it makes of the failure (recorded in the log
for the people who will read it); the rollback itself is not up for discussion. The proof is the
fingerprint: the schema after the rollback must hash to what it was before the migration's first step.
"""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.runtime import Runtime

from zdt.agents.errors import AgentError
from zdt.agents.executor import ExecutorAgent
from zdt.executor import ExecutorError, MigrationNotFound, rollback_migration
from zdt.graph.agents import run_session_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import SessionState, SessionStatus, log_entry
from zdt.sessions.scratchpads import LOG_MD


def rollback(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    progress = Progress("executor")
    ctx = runtime.context
    plan = state.migration_plan()
    assert plan is not None
    failure = state.error or "the migration failed"
    progress("rolling_back", reason=failure)
    advice = _advice(state, ctx, progress, failure)
    try:
        result = rollback_migration(
            plan,
            ctx.target_url,
            settings=ctx.settings.executor,
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
    return _finish(progress, status, f"{failure}; {result.message}", advice, figures)


def _advice(state: SessionState, ctx: SessionContext, progress: Progress, failure: str) -> dict[str, Any]:
    execution = state.execution or {}
    context = {
        "failure": failure,
        "failed_step": execution.get("failed_step"),
        "plan": state.plan,
        "execution": execution,
        "monitor_verdicts": [v.get("final") or v for v in state.monitor_verdicts],
    }
    try:
        advice = run_session_agent(
            ExecutorAgent(),
            context,
            session=ctx,
            session_id=state.session_id,
            progress=progress,
            environment="production",
        )
    except AgentError as error:
        return {"action": "rollback", "explanation": f"no advice: {error}"}
    progress("advice", action=advice.action, explanation=advice.explanation)
    return advice.model_dump(mode="json")


def _finish(
    progress: Progress,
    status: SessionStatus,
    message: str,
    advice: dict[str, Any],
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:
    progress("finished", status=status.value, message=message)
    return {
        "status": status.value,
        "rollback": (figures or {"ok": False, "message": message}) | {"advice": advice},
        "error": message,
        "log": log_entry("rollback", message),
    }
