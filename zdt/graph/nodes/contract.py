"""contract: remove what only the old release used, once the deploy gate and the release check passed.

It checks, itself, that the last contract approval names this plan's hash and its contract steps'
hash (the gate did too; this node does not trust how it was reached), then runs the contract phase the
way ``execute`` ran the others. A failed contract step leaves the database as it was before that step
(the executor's rule), and the session goes back to the deploy gate: retry the contract, or roll back.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from zdt.graph.approvals import contract_refusal
from zdt.graph.context import SessionContext
from zdt.graph.production import run_phases, stop
from zdt.graph.progress import Progress
from zdt.graph.state import ApprovalPhase, Route, SessionState, SessionUpdate
from zdt.plan.model import Phase


def contract(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    plan = state.migration_plan()
    reason = contract_refusal(plan, state.latest_approval(ApprovalPhase.CONTRACT), state.plan_hash)
    if reason is not None or plan is None:
        Progress("executor")("refused", reason=reason)
        return stop("contract", f"refused to contract: {reason}")
    return run_phases(state, runtime, plan, [Phase.CONTRACT], "contract", failure_route=Route.ASK_AGAIN)
