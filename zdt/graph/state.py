"""The session state every node reads and writes, checkpointed as JSON-safe data.

Why JSON primitives only: the checkpointer writes the state to disk (SQLite or PostgreSQL) and reads it
back in another process, maybe another version of zdt. Nested pydantic models or enums would be pickled
by type name (LangGraph warns about, and will block, such "unregistered types"), so every field here is a
str, int, bool, list or dict; the typed models below validate what goes in and give typed views of what
comes out (``state.migration_plan()``, ``state.latest_approval()``).

Connection strings never appear here: the state names connections by role (target, staging) and shows
them redacted; the URLs themselves live in the runtime context, supplied again on resume.

Nodes return a :class:`SessionUpdate`, not the state: LangGraph merges the returned keys into the state
(through the reducers for the annotated lists), so a node says only what it changed.
"""

from __future__ import annotations

import operator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, Field

from zdt.agents.brains.mode import BrainMode
from zdt.plan.model import FolderMigration, MigrationPlan


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SessionStatus(StrEnum):
    PLANNING = "planning"
    REHEARSING = "rehearsing"
    AWAITING_APPROVAL = "awaiting_approval"
    EXECUTING = "executing"
    AWAITING_DEPLOY = "awaiting_deploy"  # expand and migrate done: the old release must go before contract
    CONTRACTING = "contracting"
    DONE = "done"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    REJECTED = "rejected"


FINAL_STATUSES = frozenset(
    {SessionStatus.DONE, SessionStatus.ROLLED_BACK, SessionStatus.FAILED, SessionStatus.REJECTED}
)


class Route(StrEnum):
    """What a node decided; the routers in build.py map it to the next node.

    Nodes name an outcome instead of a successor so that the builder alone knows the wiring: an extra
    node attached after ``rehearse`` changes where ``NEXT`` leads, and no node changes.
    """

    NEXT = "next"
    REPLAN = "replan"  # back to the planner with findings
    ASK_AGAIN = "ask_again"  # the approval did not match the plan: ask again
    ROLLBACK = "rollback"
    RETRY = "retry"  # the executor agent advises running the failed step again: the approver confirms
    CONTRACT = "contract"  # the contract approval came: check the old release is gone, then contract
    STOP = "stop"  # the session ends here (failed, rejected)


class SessionRequest(BaseModel):
    """What the user asked for."""

    prompt: str | None = None
    sql: str | None = None
    sql_source: str | None = Field(default=None, description="File the SQL came from, if any.")
    queries: str | None = Field(default=None, description="Application queries to check compatibility with.")
    new_queries: str | None = Field(
        default=None,
        description="The new release's queries: checked after migrate, contract and on rollback.",
    )
    sources: list[tuple[str, str]] = Field(
        default_factory=list, description="(file, SQL) of each pending migration when the SQL is a folder's."
    )
    migrations: list[FolderMigration] = Field(
        default_factory=list, description="Those migrations, recorded in their tool's history once done."
    )
    versioned_schemas: bool | None = Field(
        default=None,
        description="Version schemas for the two releases: on, off, or None for on with type changes.",
    )
    target: str = Field(description="The production database, redacted (no password).")
    staging: str = Field(description="Where rehearsals run, redacted; 'embedded' for a throwaway server.")


class ApprovalPhase(StrEnum):
    """Which gate a decision answers: the plan (expand and migrate) or, later, its contract."""

    PLAN = "plan"
    CONTRACT = "contract"


class Approval(BaseModel):
    """A human decision at a gate, bound to the exact plan it approved (and, for contract, its steps)."""

    approved: bool
    plan_hash: str
    by: str
    comment: str = ""
    at: str = Field(default_factory=utc_now)
    phase: ApprovalPhase = ApprovalPhase.PLAN
    contract_hash: str | None = Field(default=None, description="zdt.rollout.contract_hash of the plan.")
    old_release_gone: bool = Field(
        default=False, description="The operator's word, needed when the target cannot show it."
    )
    force_reason: str = Field(default="", description="Contract despite the evidence, and why.")
    backup_confirmed: str = Field(
        default="", description="The operator's word that a data backup exists (zdt cannot check it)."
    )
    team_notified: str = Field(default="", description="The operator's word that the team was told.")


class LogEntry(BaseModel):
    at: str = Field(default_factory=utc_now)
    node: str
    message: str


class SessionState(BaseModel):
    """The graph's state. Lists annotated with operator.add accumulate across nodes."""

    session_id: str
    brain: str = Field(description="The brain's display name, e.g. 'offline' or 'claude (model id)'.")
    brain_mode: BrainMode = Field(default=BrainMode.AUTO, description="Picked again on resume.")
    request: dict[str, Any] = Field(description="SessionRequest as JSON.")
    created_at: str = Field(default_factory=utc_now)
    status: str = SessionStatus.PLANNING.value
    route: str = Route.NEXT.value
    draft_sql: str | None = None
    rationale: str | None = None
    risks: list[str] = Field(default_factory=list)
    plan: dict[str, Any] | None = Field(default=None, description="The checked MigrationPlan as JSON.")
    plan_hash: str | None = None
    findings: list[str] = Field(default_factory=list, description="What the planner must fix next round.")
    planning_rounds: int = 0
    rehearsal: dict[str, Any] | None = None
    compatibility: dict[str, Any] | None = None
    boundaries: dict[str, Any] | None = Field(
        default=None, description="Both releases' queries at every phase boundary (BoundaryReport)."
    )
    approvals: Annotated[list[dict[str, Any]], operator.add] = Field(default_factory=list)
    schema_snapshot: dict[str, Any] | None = Field(
        default=None,
        description="The target's pg_dump --schema-only kept before production (zdt.graph.backup).",
    )
    execution: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None
    advice: dict[str, Any] | None = Field(default=None, description="The executor agent's last advice.")
    execution_attempts: int = 0
    monitor_verdicts: Annotated[list[dict[str, Any]], operator.add] = Field(default_factory=list)
    release_evidence: dict[str, Any] | None = Field(
        default=None, description="The last check of whether the old release is gone (ReleaseEvidence)."
    )
    log: Annotated[list[dict[str, Any]], operator.add] = Field(default_factory=list)
    error: str | None = None
    record_head: str | None = Field(
        default=None, description="The hash of the session record's last event after this step (zdt.record)."
    )

    def session_request(self) -> SessionRequest:
        return SessionRequest.model_validate(self.request)

    def migration_plan(self) -> MigrationPlan | None:
        return MigrationPlan.model_validate(self.plan) if self.plan is not None else None

    def latest_approval(self, phase: ApprovalPhase = ApprovalPhase.PLAN) -> Approval | None:
        """The last decision at the ``phase`` gate: a contract approval never counts for the plan's."""
        decisions = [Approval.model_validate(entry) for entry in self.approvals]
        answered = [decision for decision in decisions if decision.phase is phase]
        return answered[-1] if answered else None

    def executed_phases(self) -> list[str]:
        """The phases the runs so far applied to production and finished."""
        execution = self.execution or {}
        return list(execution.get("phases_done", []))


class SessionUpdate(TypedDict, total=False):
    """What a node may return: the keys it changed, each typed as the SessionState field it sets.

    Why a TypedDict and not ``dict[str, Any]``: mypy then checks every key a node writes and the type of
    its value. LangGraph (1.x) silently drops a returned key that is not a state field, so without this
    a misspelt key would be an update that never happens, found in the one session that takes that
    path. At run time it is a plain dict, which is what LangGraph merges into the state (nodes return
    no ``Command``). ``total=False``: a node returns only what it changed.

    Missing on purpose: ``session_id``, ``brain``, ``brain_mode``, ``request`` and ``created_at`` are
    set once when the session starts (zdt.graph.runner.initial_state) and no node may rewrite them. The
    three annotated lists (``approvals``, ``monitor_verdicts``, ``log``) are appended to by their
    reducer, so a node returns only the new entries. tests/graph/test_state.py keeps this in step with
    SessionState.
    """

    status: str
    route: str
    draft_sql: str | None
    rationale: str | None
    risks: list[str]
    plan: dict[str, Any] | None
    plan_hash: str | None
    findings: list[str]
    planning_rounds: int
    rehearsal: dict[str, Any] | None
    compatibility: dict[str, Any] | None
    boundaries: dict[str, Any] | None
    approvals: list[dict[str, Any]]
    schema_snapshot: dict[str, Any] | None
    execution: dict[str, Any] | None
    verification: dict[str, Any] | None
    rollback: dict[str, Any] | None
    advice: dict[str, Any] | None
    execution_attempts: int
    monitor_verdicts: list[dict[str, Any]]
    release_evidence: dict[str, Any] | None
    log: list[dict[str, Any]]
    error: str | None
    record_head: str | None


def log_entry(node: str, message: str) -> list[dict[str, Any]]:
    """A one-entry update for the ``log`` reducer."""
    return [LogEntry(node=node, message=message).model_dump(mode="json")]
