"""``zdt rollback``: undo an applied (or partly applied) plan and prove the schema is as before."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from zdt.cli.execution_render import ExecutionRenderer
from zdt.cli.run_guard import (
    EXIT_OK,
    EXIT_STEP_FAILED,
    TARGET_HELP,
    confirm_target,
    executor_errors,
    fail,
    load_checked_plan,
)
from zdt.executor import LOG_NAME, rollback_migration


def rollback_command(
    plan_path: Path = typer.Argument(..., metavar="PLAN.json", help="The plan that was applied."),
    database_url: str = typer.Option(
        ..., "--database-url", envvar="ZDT_DATABASE_URL", help="The database to roll back."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    out: Path = typer.Option(Path("scratchpads"), "--out", help=f"Directory of {LOG_NAME}."),
) -> None:
    """Roll a migration back, last step first, then compare the schema with the one before it.

    An irreversible step stops the rollback and says why.
    """
    plan = load_checked_plan(plan_path)
    confirm_target(database_url, yes, f"roll back plan {plan.id}")
    console = Console()
    with executor_errors("rollback"), ExecutionRenderer(console) as render:
        result = rollback_migration(plan, database_url, on_event=render, log_path=out / LOG_NAME)
    if not result.ok:
        raise fail(f"{result.message} (log: {result.log_path})", EXIT_STEP_FAILED)
    console.print(f"plan {plan.id}: {result.message} (log: {result.log_path})", highlight=False)
    raise typer.Exit(EXIT_OK)


rollback_command.__doc__ = (
    f"{rollback_command.__doc__}\n\n{TARGET_HELP}\n\n"
    "Exit codes: 0 rolled back and the schema matches; 1 stopped (irreversible step, failed undo) or the "
    "schema differs from before; 2 bad input; 3 not confirmed; 4 another executor is running; "
    "130 interrupted (Ctrl-C)."
)
