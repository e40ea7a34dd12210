"""What a person is asked at the approval, and the rule that binds an approval to one exact plan.

Why a module of its own: the same rule is applied twice — by the approval node when it routes, and by
the execute node right before production is touched — and must be the same rule both times. An approval
counts only if it approves, and its plan_hash is the content hash of the plan about to run, which is
also the hash the gate stamped on it.
"""

from __future__ import annotations

from typing import Any

from zdt.graph.state import Approval, SessionState
from zdt.plan.model import MigrationPlan

APPROVAL_KIND = "approval"


def approval_request(state: SessionState) -> dict[str, Any]:
    """The interrupt payload: everything the approver weighs, JSON-safe."""
    plan = state.migration_plan()
    assert plan is not None, "the approval comes after the gate"
    compatibility = state.compatibility or {}
    return {
        "kind": APPROVAL_KIND,
        "session_id": state.session_id,
        "plan_id": plan.id,
        "plan_hash": state.plan_hash,
        "target": state.session_request().target,
        "brain": state.brain,
        "steps": [
            {
                "id": step.id,
                "phase": step.phase.value,
                "description": step.description,
                "lock": step.lock.value if step.lock else None,
                "lock_duration": step.lock_duration.value,
                "reversible": step.rollback.is_reversible,
            }
            for step in plan.steps
        ],
        "rehearsal": state.rehearsal,
        "compatibility": {
            "verdict": compatibility.get("verdict", "unknown"),
            "summary": compatibility.get("summary", ""),
        },
        "risks": state.risks,
        "rationale": state.rationale,
    }


def refusal(plan: MigrationPlan | None, approval: Approval | None, stamped_hash: str | None) -> str | None:
    """Why this plan may NOT run in production under this approval; None when it may."""
    if plan is None:
        return "there is no plan to run"
    if approval is None:
        return "no approval is recorded for this session"
    if not approval.approved:
        return f"the last decision ({approval.by}, {approval.at}) was a rejection"
    actual = plan.content_hash()
    if approval.plan_hash != actual:
        return (
            f"the approval ({approval.by}) is for plan hash {approval.plan_hash[:12]}, "
            f"but the plan about to run hashes to {actual[:12]}"
        )
    if plan.checked_hash != actual or stamped_hash != actual:
        return f"the plan changed after the gate checked it (hash {actual[:12]}): plan and approve it again"
    return None
