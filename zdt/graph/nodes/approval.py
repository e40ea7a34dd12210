"""approval: pause for a person. This node does NOTHING but ask, and route on the answer.

LangGraph re-runs an interrupted node from its start when it resumes, so anything done before
``interrupt()`` would happen twice: here there is nothing before it but building the question. The
answer (an Approval) is recorded; it leads to ``execute`` only if it approves this very plan's hash.
A rejection with a comment goes back to the planner, the comment becoming a finding; a bare rejection
ends the session. The question says what the plan's hash covers, and whether plan.json in the session's
folder is still that plan (reading a file twice is harmless when the node runs again).
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from zdt.graph.approvals import approval_request, refusal
from zdt.graph.context import SessionContext
from zdt.graph.state import Approval, Route, SessionState, SessionStatus, SessionUpdate, log_entry


def approval(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    answer = interrupt(approval_request(state, runtime.context.session_dir(state.session_id)))
    try:
        decision = Approval.model_validate(answer)
    except ValidationError as error:
        return {"route": Route.ASK_AGAIN.value, "log": log_entry("approval", f"unreadable answer: {error}")}
    recorded = [decision.model_dump(mode="json")]
    if decision.approved:
        reason = refusal(state.migration_plan(), decision, state.plan_hash)
        if reason is not None:
            return {
                "route": Route.ASK_AGAIN.value,
                "approvals": recorded,
                "log": log_entry("approval", reason),
            }
        return {
            "route": Route.NEXT.value,
            "status": SessionStatus.EXECUTING.value,
            "approvals": recorded,
            "log": log_entry("approval", f"approved by {decision.by}"),
        }
    if decision.comment.strip():
        finding = f"rejected by {decision.by}: {decision.comment.strip()}"
        return {
            "route": Route.REPLAN.value,
            "status": SessionStatus.PLANNING.value,
            "approvals": recorded,
            "findings": [finding],
            "planning_rounds": 0,
            "log": log_entry("approval", finding),
        }
    return {
        "route": Route.STOP.value,
        "status": SessionStatus.REJECTED.value,
        "approvals": recorded,
        "error": f"rejected by {decision.by}",
        "log": log_entry("approval", f"rejected by {decision.by}"),
    }
