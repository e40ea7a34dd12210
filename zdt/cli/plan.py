"""``zdt plan``: turn migration SQL into a checked, phased plan and write MIGRATION-PLAN.md + plan.json.

Exit codes: 0 the plan passed the gate, 1 it did not (the problems are listed and written to the plan
document, and plan.json is left unstamped so it cannot be applied), 2 bad input.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from zdt.analysis.source import SqlSyntaxError
from zdt.cli.lint import LintInputError, collect_sources, load_snapshot
from zdt.plan.check import check_plan
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.reports.plan_report import render_plan_markdown, write_plan_files

DEFAULT_OUT = Path("scratchpads")


class PlanFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


def plan_command(
    target: str = typer.Argument(..., metavar="FILE|DIR|-", help="Migration SQL: a file, a folder, or -."),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="ZDT_DATABASE_URL", help="Plan against the live schema (read-only)."
    ),
    output_format: PlanFormat = typer.Option(PlanFormat.MARKDOWN, "--format", help="markdown or json."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="Where MIGRATION-PLAN.md and plan.json go."),
    pg_version: int | None = typer.Option(None, "--pg-version", min=11, help="Target major version."),
) -> None:
    """Plan a zero-downtime migration: expand / migrate / contract steps, each verified and reversible."""
    err = Console(stderr=True)
    try:
        sources = collect_sources(target)
        snapshot = load_snapshot(database_url) if database_url else None
        sql_text = "\n\n".join(text if text.rstrip().endswith(";") else text + ";" for _, text in sources)
        plan = plan_sql(sql_text, source=sources[0][0], snapshot=snapshot, pg_version=pg_version)
    except (SqlSyntaxError, LintInputError, PlanningError) as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(2) from None
    problems = check_plan(plan, snapshot)
    if not problems:
        plan = plan.model_copy(update={"checked_hash": plan.content_hash()})
    markdown_path, json_path = write_plan_files(plan, out, problems)
    if output_format is PlanFormat.JSON:
        typer.echo(plan.model_dump_json(indent=2))
    else:
        typer.echo(render_plan_markdown(plan, problems))
    err.print(f"wrote {markdown_path} and {json_path}", highlight=False)
    if problems:
        err.print(f"[bold red]the plan did not pass the gate[/] ({len(problems)} problems)", highlight=False)
        raise typer.Exit(1)
