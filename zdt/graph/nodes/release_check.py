"""release_check: before contract, look on the target for the old release that contract would break.

The approval at the deploy gate says "the old release is gone"; this node checks it: for the observation
window no statement using what contract removes may run (``pg_stat_statements``), and no session with
the old release's ``application_name`` may be connected. Evidence of the old release sends the session
back to the deploy gate with the evidence named (the statement, its calls, the sessions). Without
``pg_stat_statements`` the check cannot tell and asks for the operator's word. ``--force-contract``
with a reason goes ahead regardless — the evidence is still collected, and the override is logged.
"""

from __future__ import annotations

import psycopg
from langgraph.runtime import Runtime

from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import ApprovalPhase, Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.rollout import observe_old_release, retired_objects
from zdt.rollout.evidence import ReleaseVerdict


def release_check(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("rollout")
    plan = state.migration_plan()
    decision = state.latest_approval(ApprovalPhase.CONTRACT)
    assert plan is not None and decision is not None, "the deploy gate routes here on an approval"
    settings = runtime.context.settings.rollout
    retired = retired_objects(plan)
    progress("started", watching=[item.label() for item in retired], window_s=settings.observe_s)
    try:
        evidence = observe_old_release(
            runtime.context.target_url,
            retired,
            application_name=settings.old_application_name,
            window_s=settings.observe_s,
        )
    except psycopg.Error as error:
        message = f"cannot look for the old release on the target: {error}"
        progress("failed", reason=message)
        return {
            "route": Route.ASK_AGAIN.value,
            "error": message,
            "log": log_entry("release_check", message),
        }
    found = evidence.model_dump(mode="json") | {
        "verdict": evidence.verdict.value,
        "summary": evidence.summary(),
    }
    verdict = evidence.verdict
    forced = decision.force_reason.strip()
    if forced:
        message = f"contract forced by {decision.by} ({forced}); evidence: {found['summary']}"
    elif verdict is ReleaseVerdict.GONE:
        message = f"the old release is gone: {found['summary']}"
    elif verdict is ReleaseVerdict.UNKNOWN and decision.old_release_gone:
        message = f"on {decision.by}'s word that the old release is gone ({evidence.statements_note})"
    else:
        progress("refused", reason=found["summary"])
        return {
            "route": Route.ASK_AGAIN.value,
            "status": SessionStatus.AWAITING_DEPLOY.value,
            "release_evidence": found,
            "error": f"contract refused: {found['summary']}",
            "log": log_entry("release_check", f"contract refused: {found['summary']}"),
        }
    progress("passed", reason=message)
    return {
        "route": Route.NEXT.value,
        "release_evidence": found,
        "error": None,
        "log": log_entry("release_check", message),
    }
