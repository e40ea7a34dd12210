"""MIGRATION-PLAN.md and plan.json: the plan as people review it and as the executor reads it."""

from __future__ import annotations

from pathlib import Path

from zdt.plan.check import PlanProblem
from zdt.plan.model import PHASE_ORDER, MigrationPlan
from zdt.reports.render import render_template
from zdt.rollout import retired_objects

PHASE_NOTES = {
    "expand": "Additive changes: the old and the new application code both work once these are done.",
    "migrate": "Backfills and validations, batched and throttled; still compatible with both versions.",
    "contract": "Removes what only the old code needed. It runs only after the deploy gate: its own "
    "approval, once every application instance has moved to the new code and the target shows it.",
}


def render_plan_markdown(
    plan: MigrationPlan, problems: list[PlanProblem] | None = None, brain: str = "offline (deterministic)"
) -> str:
    return render_template(
        "migration_plan.md.j2",
        plan=plan,
        problems=problems or [],
        phases=PHASE_ORDER,
        phase_notes=PHASE_NOTES,
        brain=brain,
        retired=retired_objects(plan),
    )


def write_plan_files(
    plan: MigrationPlan,
    out_dir: Path,
    problems: list[PlanProblem] | None = None,
    brain: str = "offline (deterministic)",
) -> tuple[Path, Path]:
    """Write MIGRATION-PLAN.md and plan.json into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / "MIGRATION-PLAN.md"
    markdown.write_text(render_plan_markdown(plan, problems, brain))
    plan_json = out_dir / "plan.json"
    plan_json.write_text(plan.model_dump_json(indent=2) + "\n")
    return markdown, plan_json
