"""advise: after a failure in production, the executor agent says what happened and what to do.

Its advice is one of retry, rollback or revise. A retry goes back to the approval: the person confirms
running the same approved plan again (the executor resumes at the failed step), a bounded number of
times. Everything else, and a retry past the bound, goes to rollback; a revision is acted on there,
once the database is back where it was.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from zdt.agents.errors import AgentError
from zdt.agents.executor import ExecutorAgent
from zdt.graph.agents import run_session_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry

MAX_EXECUTION_ATTEMPTS = 3


def advise(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("executor")
    failure = state.error or "the migration failed"
    execution = state.execution or {}
    context = {
        "session_id": state.session_id,
        "failure": failure,
        "failed_step": execution.get("failed_step"),
        "plan": state.plan,
        "execution": execution,
        "attempts": state.execution_attempts,
        "max_attempts": MAX_EXECUTION_ATTEMPTS,
        "monitor_verdicts": [v.get("final") or v for v in state.monitor_verdicts],
    }
    try:
        result = run_session_agent(
            ExecutorAgent(),
            context,
            session=runtime.context,
            session_id=state.session_id,
            progress=progress,
            environment="production",
        )
        advice = result.model_dump(mode="json")
    except AgentError as error:
        advice = {"action": "rollback", "explanation": f"no advice: {error}", "revised_sql": None}
    progress("advice", action=advice["action"], explanation=advice["explanation"])
    retry = advice["action"] == "retry" and state.execution_attempts < MAX_EXECUTION_ATTEMPTS
    if retry:
        message = f"{failure}; the executor advises a retry: {advice['explanation']} (asking the approver)"
        return {
            "route": Route.RETRY.value,
            "status": SessionStatus.AWAITING_APPROVAL.value,
            "advice": advice,
            "log": log_entry("advise", message),
        }
    return {"route": Route.NEXT.value, "advice": advice, "log": log_entry("advise", advice["explanation"])}
