"""The session state every node reads and writes, checkpointed as JSON-safe data.

Connection strings never appear here: the state names connections by role (target, staging) and shows
them redacted; the URLs themselves live in the runtime context, supplied again on resume.
"""

from __future__ import annotations

import operator
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field


class SessionStatus(StrEnum):
    PLANNING = "planning"
    REHEARSING = "rehearsing"
    AWAITING_APPROVAL = "awaiting_approval"
    EXECUTING = "executing"
    DONE = "done"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    REJECTED = "rejected"


class SessionRequest(BaseModel):
    """What the user asked for."""

    prompt: str | None = None
    sql: str | None = None
    sql_source: str | None = Field(default=None, description="File the SQL came from, if any.")
    queries: str | None = Field(default=None, description="Application queries to check compatibility with.")
    target: str = Field(description="The production database, redacted (no password).")
    staging: str = Field(description="Where rehearsals run, redacted; 'embedded' for a throwaway server.")


class Approval(BaseModel):
    """A human decision at the approval gate, bound to the exact plan it approved."""

    approved: bool
    plan_hash: str
    by: str
    comment: str = ""
    at: str


class LogEntry(BaseModel):
    at: str
    node: str
    message: str


class SessionState(BaseModel):
    """The graph's state. Lists annotated with operator.add accumulate across nodes."""

    session_id: str
    brain: str
    request: SessionRequest
    status: SessionStatus = SessionStatus.PLANNING
    schema_snapshot: dict[str, Any] | None = None
    draft_sql: str | None = None
    plan: dict[str, Any] | None = Field(default=None, description="MigrationPlan as JSON.")
    plan_hash: str | None = None
    findings: list[str] = Field(default_factory=list, description="Gate problems of the last round.")
    planning_rounds: int = 0
    rehearsal: dict[str, Any] | None = None
    compatibility: dict[str, Any] | None = None
    approvals: Annotated[list[Approval], operator.add] = Field(default_factory=list)
    execution: dict[str, Any] | None = None
    monitor_verdicts: Annotated[list[dict[str, Any]], operator.add] = Field(default_factory=list)
    log: Annotated[list[LogEntry], operator.add] = Field(default_factory=list)
    error: str | None = None
