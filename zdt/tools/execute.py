"""execute_step: the only way an agent can change a database, and only through zdt.executor.

The model chooses nothing but a phase of the already checked plan: the SQL, its verification, timeouts
and rollback come from the plan the gate stamped (the executor refuses a plan edited since). Which
database is written is decided by the environment, never by the model: a rehearsal writes staging, and
production is written only when the graph's approved execute node built this tool with
``production_approved=True``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from zdt.executor import ExecutorError, ExecutorSettings, apply_plan
from zdt.plan.check import PlanTampered
from zdt.plan.model import MigrationPlan, Phase
from zdt.policy import PolicyViolation, check_script
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import ToolContext
from zdt.tools.session import scrub

PRODUCTION_REFUSAL = "production steps run only inside the approved execute node"


class ExecuteStepInput(BaseModel):
    phase: Phase = Field(
        description="Which phase of the approved plan to apply: expand, migrate or contract."
    )


def execution_url(ctx: ToolContext) -> str:
    """Where this environment may write, or a ToolError saying why it may not write anywhere."""
    if ctx.environment == "planning":
        raise ToolError("nothing is executed while planning: propose SQL, the executor applies the plan")
    if ctx.environment == "production":
        if not ctx.production_approved:
            raise ToolError(PRODUCTION_REFUSAL)
        return ctx.target_url
    if not ctx.staging_url:
        raise ToolError("a rehearsal needs a staging database and this session has none")
    if ctx.staging_url == ctx.target_url:
        raise ToolError("the staging database is the target database: refusing to rehearse on production")
    return ctx.staging_url


def checked_plan(ctx: ToolContext) -> MigrationPlan:
    plan = ctx.plan
    if plan is None or plan.checked_hash is None:
        raise ToolError("there is no checked plan to execute: the gate must pass a plan first")
    for step in plan.steps:  # defence in depth: the gate checked it; check again right before running
        for sql in step.sql:
            try:
                check_script(sql, phase=step.phase.value)
            except PolicyViolation as error:
                raise ToolError(f"step {step.id}: {error}") from None
    return plan


def execute_step_tool(ctx: ToolContext, settings: ExecutorSettings | None = None) -> Tool:
    def run(args: ExecuteStepInput) -> dict[str, Any]:
        url = execution_url(ctx)
        plan = checked_plan(ctx)
        log_path = ctx.scratchpad_dir / "MIGRATION-LOG.md"
        try:
            result = apply_plan(plan, url, phases=[args.phase], settings=settings, log_path=log_path)
        except (ExecutorError, PlanTampered) as error:
            raise ToolError(f"{type(error).__name__}: {scrub(str(error), ctx)}") from None
        data = result.model_dump(mode="json", exclude={"log_path"})
        data["ok"] = result.ok
        data["database"] = ctx.describe("target" if ctx.environment == "production" else "staging")
        return data

    return Tool(
        name="execute_step",
        description=(
            "Apply one phase of the approved, checked plan through the executor (verified step by step, "
            "resumable, with lock timeouts). Writes staging in a rehearsal; production only when approved."
        ),
        input_model=ExecuteStepInput,
        function=run,
    )
