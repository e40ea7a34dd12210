"""What a person is asked at the approval, and the rule that binds an approval to one exact plan.

Why a module of its own: the same rule is applied twice — by the approval node when it routes, and by
the execute node right before production is touched — and must be the same rule both times. An approval
counts only if it approves, and its plan_hash is the content hash of the plan about to run, which is
also the hash the gate stamped on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zdt.compat.boundaries import BoundaryReport
from zdt.graph.state import Approval, ApprovalPhase, SessionState
from zdt.plan.model import MigrationPlan, Phase
from zdt.rollout import contract_hash, retired_objects
from zdt.sessions.scratchpads import PLAN_JSON

APPROVAL_KIND = "approval"
DOCUMENTS_NOTE = (
    "MIGRATION-PLAN.md and plan.json were written by the gate's code, never by a model's tool (agents "
    "cannot write zdt's documents); execute runs the plan in the session's state, and only if its hash "
    "is the one approved here"
)
DEPLOY_GATE_KIND = "deploy_gate"


def approval_request(state: SessionState, session_dir: Path | None = None) -> dict[str, Any]:
    """The interrupt payload: everything the approver weighs, JSON-safe; with ``session_dir``, whether
    the plan.json there is still the plan that runs."""
    plan = state.migration_plan()
    assert plan is not None, "the approval comes after the gate"
    compatibility = state.compatibility or {}
    return {
        "kind": APPROVAL_KIND,
        "session_id": state.session_id,
        "plan_id": plan.id,
        "plan_hash": state.plan_hash,
        "hash_covers": MigrationPlan.hash_covers(),
        "documents": DOCUMENTS_NOTE
        + (f"; {plan_json_check(session_dir / PLAN_JSON, state.plan_hash)}" if session_dir else ""),
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
        "boundaries": _boundaries(state.boundaries),
        "risks": state.risks,
        "rationale": state.rationale,
    }


def plan_json_check(path: Path, plan_hash: str | None) -> str:
    """Whether ``path`` still holds the plan with ``plan_hash`` (what the approver may open and read)."""
    try:
        on_disk = MigrationPlan.model_validate_json(path.read_text(encoding="utf-8")).content_hash()
    except (OSError, ValueError) as error:
        return f"{path.name} cannot be read as a plan ({type(error).__name__}): read the plan shown here"
    if on_disk != plan_hash:
        return f"{path.name} on disk DIFFERS from the plan that runs (hash {on_disk[:12]}): do not trust it"
    return f"{path.name} on disk is the plan that runs (hash {on_disk[:12]})"


def _boundaries(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """Both releases at every boundary, as the approver reads it: the verdict and each break's sentence."""
    if report is None:
        return None
    parsed = BoundaryReport.model_validate(report)
    return {
        "verdict": parsed.verdict,
        "summary": parsed.summary(),
        "breaks": [finding.sentence() for finding in parsed.breaks],
    }


def deploy_request(state: SessionState) -> dict[str, Any]:
    """The deploy gate's interrupt payload: what to deploy now, what must be gone, what contract runs."""
    plan = state.migration_plan()
    assert plan is not None, "the deploy gate comes after the run"
    contract = plan.steps_in(Phase.CONTRACT)
    return {
        "kind": DEPLOY_GATE_KIND,
        "session_id": state.session_id,
        "plan_id": plan.id,
        "plan_hash": state.plan_hash,
        "contract_hash": contract_hash(plan),
        "target": state.session_request().target,
        "retired": [item.label() for item in retired_objects(plan)],
        "new_search_path": plan.versions.new_search_path if plan.versions else None,
        "steps": [
            {
                "id": step.id,
                "description": step.description,
                "lock": step.lock.value if step.lock else None,
                "reversible": step.rollback.is_reversible,
            }
            for step in contract
        ],
        "evidence": state.release_evidence,
        "error": state.error,
    }


def refusal(plan: MigrationPlan | None, approval: Approval | None, stamped_hash: str | None) -> str | None:
    """Why this plan may NOT run in production under this approval; None when it may."""
    if plan is None:
        return "there is no plan to run"
    if approval is None:
        return "no approval is recorded for this session"
    if approval.phase is not ApprovalPhase.PLAN:
        return f"the decision of {approval.by} answers the {approval.phase} gate, not the plan's"
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


def contract_refusal(
    plan: MigrationPlan | None, approval: Approval | None, stamped_hash: str | None
) -> str | None:
    """Why contract may NOT run under this approval; None when it may.

    A contract approval must answer the contract gate, approve, and name both the plan's hash and the
    hash of its contract steps, so a plan edited since (or another plan) never contracts on an old yes.
    """
    if approval is None or approval.phase is not ApprovalPhase.CONTRACT:
        return "no contract approval is recorded for this session"
    if not approval.approved:
        return f"the last contract decision ({approval.by}, {approval.at}) was a rejection"
    as_plan = approval.model_copy(update={"phase": ApprovalPhase.PLAN})
    reason = refusal(plan, as_plan, stamped_hash)
    if reason is not None or plan is None:
        return reason
    expected = contract_hash(plan)
    if approval.contract_hash != expected:
        return (
            f"the contract approval ({approval.by}) is for contract hash {str(approval.contract_hash)[:12]}, "
            f"but the contract steps hash to {expected[:12]}"
        )
    return None
