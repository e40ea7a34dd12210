"""The compatibility verdict: one check per application query and what they add up to.

It lives with the checks that produce it, so the agent, the graph and the report all read the one model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class QueryCheck(BaseModel):
    query: str
    label: str | None = Field(
        default=None, description="Where the query comes from (file:line, Model.operation), when known."
    )
    new_schema_ok: bool
    old_schema_ok: bool | None = Field(default=None, description="None when not checked.")
    error: str | None = None


class CompatibilityResult(BaseModel):
    verdict: Literal["compatible", "incompatible", "unknown"]
    checks: list[QueryCheck] = Field(default_factory=list)
    summary: str
