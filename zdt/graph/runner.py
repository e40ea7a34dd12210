"""Driving a session: start it, stream it, stop at the approval, resume it — for the CLI and the tests.

Why one driver: ``zdt run``, ``zdt resume`` and ``zdt demo`` must stream the same way (updates and custom
progress events, durability "sync" so that every checkpoint is on disk before the next node — and so
before any production step — starts) and read the same outcome: finished, or waiting for a person.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from zdt.agents.brains.mode import BrainMode
from zdt.graph.approvals import APPROVAL_KIND, DEPLOY_GATE_KIND
from zdt.graph.context import SessionContext
from zdt.graph.state import Approval, ApprovalPhase, SessionRequest, SessionState

#: One update or progress event as streamed: ("updates", {node: update}) or ("custom", {...}).
StreamObserver = Callable[[str, Any], None]

RECURSION_LIMIT = 200  # planner/gate rounds and rejections are bounded; this only stops a wiring bug


@dataclass(frozen=True)
class Outcome:
    """Where a session stands after a drive: its values, and the approval request if it waits for one."""

    session_id: str
    values: dict[str, Any]
    pending: dict[str, Any] | None

    @property
    def status(self) -> str:
        return str(self.values.get("status", ""))

    @property
    def waiting(self) -> bool:
        return self.pending is not None

    @property
    def at_deploy_gate(self) -> bool:
        """Waiting for the contract decision (the old release must be gone), not for the plan's."""
        return self.pending is not None and self.pending.get("kind") == DEPLOY_GATE_KIND


def new_session_id() -> str:
    """Sortable by time, unique enough for one team's sessions: s-20261125-163045-3fa2."""
    return datetime.now(UTC).strftime("s-%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def initial_state(
    session_id: str, brain: str, brain_mode: BrainMode, request: SessionRequest
) -> dict[str, Any]:
    state = SessionState(
        session_id=session_id,
        brain=brain,
        brain_mode=BrainMode(brain_mode),
        request=request.model_dump(mode="json"),
    )
    return state.model_dump(mode="json")


def config_for(session_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": session_id}, "recursion_limit": RECURSION_LIMIT}


def drive(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    payload: dict[str, Any] | Command[Any] | None,
    session_id: str,
    context: SessionContext,
    observer: StreamObserver | None = None,
) -> Outcome:
    """Run the session from ``payload`` (initial state, a resume Command, or None to continue)."""
    for mode, chunk in graph.stream(
        payload,
        config_for(session_id),
        context=context,
        stream_mode=["updates", "custom"],
        durability="sync",
    ):
        if observer is not None:
            observer(mode, chunk)
    return outcome(graph, session_id)


def outcome(graph: CompiledStateGraph[Any, Any, Any, Any], session_id: str) -> Outcome:
    """The session as the checkpointer has it (a pure read)."""
    snapshot = graph.get_state(config_for(session_id))
    pending = next(
        (
            intr.value
            for intr in snapshot.interrupts
            if isinstance(intr.value, dict) and intr.value.get("kind") in (APPROVAL_KIND, DEPLOY_GATE_KIND)
        ),
        None,
    )
    return Outcome(session_id, dict(snapshot.values), pending)


def decision(
    approved: bool,
    plan_hash: str,
    by: str,
    comment: str = "",
    *,
    backup_confirmed: str = "",
    team_notified: str = "",
) -> Command[Any]:
    """The resume command carrying a person's decision on the plan with ``plan_hash`` (and their word on
    what zdt cannot check: a data backup, the team told)."""
    answer = Approval(
        approved=approved,
        plan_hash=plan_hash,
        by=by,
        comment=comment,
        backup_confirmed=backup_confirmed.strip(),
        team_notified=team_notified.strip(),
    )
    return Command(resume=answer.model_dump(mode="json"))


def contract_decision(
    approved: bool,
    pending: dict[str, Any],
    by: str,
    comment: str = "",
    *,
    old_release_gone: bool = False,
    force_reason: str = "",
    backup_confirmed: str = "",
    team_notified: str = "",
) -> Command[Any]:
    """The resume command carrying a person's decision at the deploy gate ``pending`` describes."""
    answer = Approval(
        approved=approved,
        plan_hash=str(pending["plan_hash"]),
        by=by,
        comment=comment,
        phase=ApprovalPhase.CONTRACT,
        contract_hash=str(pending["contract_hash"]),
        old_release_gone=old_release_gone,
        force_reason=force_reason,
        backup_confirmed=backup_confirmed.strip(),
        team_notified=team_notified.strip(),
    )
    return Command(resume=answer.model_dump(mode="json"))
