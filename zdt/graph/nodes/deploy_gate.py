"""deploy_gate: after migrate, wait for the new release to be deployed and the old one to be gone.

Expand and migrate kept both application releases working; contract removes what the old one uses. So
the session stops here (an interrupt, exit 3 from ``zdt run``) until a person answers, possibly days
later and from another process, with a contract decision bound to the plan's hash and its contract
steps' hash. Approve: the old release is checked for on the target, then contract runs. Reject: roll
back — instant and complete, since nothing was removed yet. A plan with no contract steps, or one whose
contract already ran, passes straight through. Like ``approval``, this node does nothing before
``interrupt()`` but build the question (LangGraph re-runs it from the start on resume).
"""

from __future__ import annotations

from langgraph.types import interrupt
from pydantic import ValidationError

from zdt.graph.approvals import contract_refusal, deploy_request
from zdt.graph.state import (
    Approval,
    ApprovalPhase,
    Route,
    SessionState,
    SessionStatus,
    SessionUpdate,
    log_entry,
)
from zdt.plan.model import Phase


def deploy_gate(state: SessionState) -> SessionUpdate:
    plan = state.migration_plan()
    assert plan is not None
    if not plan.steps_in(Phase.CONTRACT) or Phase.CONTRACT.value in state.executed_phases():
        return {"route": Route.NEXT.value}
    answer = interrupt(deploy_request(state))
    try:
        decision = Approval.model_validate(answer)
    except ValidationError as error:
        return {
            "route": Route.ASK_AGAIN.value,
            "log": log_entry("deploy_gate", f"unreadable answer: {error}"),
        }
    recorded = [decision.model_dump(mode="json")]
    if decision.phase is not ApprovalPhase.CONTRACT:
        return {
            "route": Route.ASK_AGAIN.value,
            "log": log_entry(
                "deploy_gate", f"{decision.by} answered the plan gate; this is the contract gate"
            ),
        }
    if not decision.approved:
        why = f"contract rejected by {decision.by}" + (f": {decision.comment}" if decision.comment else "")
        return {
            "route": Route.ROLLBACK.value,
            "approvals": recorded,
            "error": f"{why}; rolling back from the deploy gate (nothing was removed)",
            "log": log_entry("deploy_gate", f"{why}; rolling back"),
        }
    reason = contract_refusal(plan, decision, state.plan_hash)
    if reason is not None:
        return {
            "route": Route.ASK_AGAIN.value,
            "approvals": recorded,
            "log": log_entry("deploy_gate", reason),
        }
    return {
        "route": Route.CONTRACT.value,
        "status": SessionStatus.CONTRACTING.value,
        "approvals": recorded,
        "log": log_entry("deploy_gate", f"contract approved by {decision.by}"),
    }


def _ask_again(reason: str) -> SessionUpdate:
    return {"route": Route.ASK_AGAIN.value, "log": log_entry("deploy_gate", reason)}
