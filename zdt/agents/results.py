"""The typed results of the planner and executor agents, whichever brain ran them.

The compatibility and monitor agents return the models of the packages that produce them:
zdt.compat.CompatibilityResult and zdt.monitor.MonitorVerdict.
"""

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
