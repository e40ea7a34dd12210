"""The typed results the four agents return, whichever brain ran them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PlannerResult(BaseModel):
    """The planner's proposal: DDL for the request. Deterministic code turns it into a checked plan."""

    sql: str = Field(description="The migration as SQL statements, naive or safe: the recipes make it safe.")
    rationale: str = Field(description="Why this DDL does what was asked.")
    risks: list[str] = Field(default_factory=list, description="Data-integrity and lock risks to review.")


class ExecutorAdvice(BaseModel):
    """After a failed step: what happened and what to do next."""

    action: Literal["retry", "rollback", "revise"]
    explanation: str
    revised_sql: str | None = Field(
        default=None,
        description="With action=revise: replacement SQL; it goes back through gate and approval.",
    )


class QueryCheck(BaseModel):
    query: str
    new_schema_ok: bool
    old_schema_ok: bool | None = Field(default=None, description="None when not checked.")
    error: str | None = None


class CompatibilityResult(BaseModel):
    verdict: Literal["compatible", "incompatible", "unknown"]
    checks: list[QueryCheck] = Field(default_factory=list)
    summary: str


class MonitorVerdict(BaseModel):
    level: Literal["ok", "throttle", "critical"]
    reasons: list[str] = Field(default_factory=list)
    summary: str
