"""execute_step: only through the executor, only the checked plan, and production only when approved."""

from __future__ import annotations

import json
from dataclasses import replace

import psycopg
import pytest

from zdt.agents import AGENTS
from zdt.plan.check import stamp
from zdt.recipes.planner import plan_sql
from zdt.schema.snapshot import introspect
from zdt.tools import ToolContext, build_toolbox
from zdt.tools.execute import PRODUCTION_REFUSAL

INDEX_SQL = "CREATE INDEX idx_users_email ON users (email)"


def _has_index(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('public.idx_users_email') IS NOT NULL").fetchone()
        return bool(row and row[0])


@pytest.fixture
def checked_context(tool_context: ToolContext) -> ToolContext:
    with psycopg.connect(tool_context.target_url) as conn:
        snapshot = introspect(conn)
    plan = stamp(plan_sql(INDEX_SQL, snapshot=snapshot), snapshot)
    return replace(tool_context, plan=plan)


def _execute(ctx: ToolContext, phase: str = "expand"):
    return build_toolbox("executor", ctx).call("execute_step", {"phase": phase})


def test_planning_never_executes(checked_context: ToolContext) -> None:
    result = _execute(checked_context)
    assert result.is_error and "nothing is executed while planning" in result.content
    assert not _has_index(checked_context.target_url)


def test_production_without_approval_is_refused(checked_context: ToolContext) -> None:
    result = _execute(replace(checked_context, environment="production"))
    assert result.is_error and result.content == PRODUCTION_REFUSAL
    assert not _has_index(checked_context.target_url)


def test_production_with_approval_applies_through_the_executor(checked_context: ToolContext) -> None:
    result = _execute(replace(checked_context, environment="production", production_approved=True))
    assert not result.is_error, result.content
    data = json.loads(result.content)
    assert data["ok"] is True and data["status"] == "done"
    assert [step["ok"] for step in data["steps"]] == [True]
    assert _has_index(checked_context.target_url)
    assert (checked_context.scratchpad_dir / "MIGRATION-LOG.md").is_file()


def test_rehearsal_writes_staging_only(checked_context: ToolContext, staging_url: str) -> None:
    ctx = replace(checked_context, environment="rehearsal", staging_url=staging_url)
    result = _execute(ctx)
    assert not result.is_error, result.content
    assert _has_index(staging_url)
    assert not _has_index(ctx.target_url)


def test_rehearsal_on_the_target_is_refused(checked_context: ToolContext) -> None:
    ctx = replace(checked_context, environment="rehearsal", staging_url=checked_context.target_url)
    result = _execute(ctx)
    assert result.is_error and "staging database is the target" in result.content
    assert not _has_index(ctx.target_url)


def test_unchecked_or_tampered_plans_are_refused(checked_context: ToolContext) -> None:
    approved = replace(checked_context, environment="production", production_approved=True)
    assert checked_context.plan is not None
    unchecked = replace(approved, plan=checked_context.plan.model_copy(update={"checked_hash": None}))
    assert "no checked plan" in _execute(unchecked).content
    edited_steps = [checked_context.plan.steps[0].model_copy(update={"description": "edited"})]
    tampered = replace(approved, plan=checked_context.plan.model_copy(update={"steps": edited_steps}))
    result = _execute(tampered)
    assert result.is_error and "PlanTampered" in result.content
    assert not _has_index(checked_context.target_url)


def test_model_cannot_pass_sql(checked_context: ToolContext) -> None:
    """The input is a phase; extra fields are ignored and an unknown phase is invalid input."""
    tools = build_toolbox("executor", replace(checked_context, environment="production"))
    result = tools.call("execute_step", {"phase": "drop everything"})
    assert result.is_error and "invalid input for execute_step" in result.content


def test_only_the_executor_agent_has_it(tool_context: ToolContext) -> None:
    for agent in (name for name in AGENTS if name != "executor"):
        assert "execute_step" not in build_toolbox(agent, tool_context).tools
