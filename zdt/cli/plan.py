"""``zdt plan``: turn migration SQL into a checked, phased plan and write MIGRATION-PLAN.md + plan.json.

Exit codes: 0 the plan passed the gate, 1 it did not (the problems are listed and written to the plan
document, and plan.json is left unstamped so it cannot be applied), 2 bad input.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import psycopg
import typer
from rich.console import Console
from rich.markup import escape

from zdt.analysis.schema_copy import SchemaCopyError
from zdt.analysis.source import SqlSyntaxError
from zdt.cli.folder_input import read_folder_input
from zdt.cli.lint import CONFIG_HINT, LintInputError, collect_sources, load_lint_config, load_snapshot
from zdt.db.urls import redact
from zdt.migrations import TOOLS, MigrationFolderError, MigrationHistoryError
from zdt.plan.check import PlanProblem, check_plan
from zdt.plan.model import MigrationPlan
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sources
from zdt.rehearsal.equivalence import Equivalence, prove_equivalence
from zdt.reports.plan_report import render_plan_markdown, write_plan_files

DEFAULT_OUT = Path("scratchpads")
BAD_INPUT = (SqlSyntaxError, LintInputError, PlanningError, MigrationFolderError, MigrationHistoryError)


def _prove(
    plan: MigrationPlan, database_url: str | None, server_url: str | None, out: Path, err: Console
) -> tuple[MigrationPlan, list[PlanProblem]]:
    """The plan with the equivalence outcome in its notes, and a problem when it ends elsewhere."""
    err.print("proving the plan against the file as written, on scratch copies ...", highlight=False)
    out.mkdir(parents=True, exist_ok=True)
    try:
        outcome = prove_equivalence(plan, schema_from=database_url, log_dir=out, server_url=server_url)
    except (psycopg.Error, SchemaCopyError) as error:
        outcome = Equivalence(not_proven=f"the scratch copies could not be made: {error}")
    plan = plan.model_copy(update={"notes": [*plan.notes, outcome.summary()]})
    problems = [PlanProblem("equivalence", difference) for difference in outcome.differences]
    return plan, problems


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
    prove: bool | None = typer.Option(
        None,
        "--prove/--no-prove",
        help="Prove on scratch copies that the plan ends in the schema the file gives "
        "(default: with --database-url).",
    ),
    tool: str | None = typer.Option(
        None, "--tool", help=f"The folder's migration tool ({', '.join(TOOLS)}); default: detected."
    ),
    scratch_server_url: str | None = typer.Option(
        None,
        "--scratch-server-url",
        envvar="ZDT_SCRATCH_SERVER_URL",
        help="Server for the scratch copies (default: an embedded PostgreSQL).",
    ),
    versioned_schemas: bool | None = typer.Option(
        None,
        "--versioned-schemas/--no-versioned-schemas",
        help="A schema of views per release, so that each uses its own column names and types "
        "(default: on when the plan changes a column's type).",
    ),
    version_name: str | None = typer.Option(
        None, "--version-name", help="Suffix of the version schemas (default: from the plan id)."
    ),
    config_path: Path | None = typer.Option(
        None,
        "--config",
        metavar="PATH",
        help=f"Configuration file for [plan] settings (default: the nearest {CONFIG_HINT}).",
    ),
) -> None:
    """Plan a zero-downtime migration: expand / migrate / contract steps, each verified and reversible."""
    err = Console(stderr=True)
    try:
        overrides = {"versioned_schemas": None, **load_lint_config(config_path).plan.overrides()}
        if versioned_schemas is not None:
            overrides["versioned_schemas"] = versioned_schemas
        settings = PlannerSettings(**overrides, version_name=version_name)  # type: ignore[arg-type]
        folder = read_folder_input(Path(target), database_url, tool) if Path(target).is_dir() else None
        if folder is not None:
            err.print(folder.summary(), highlight=False)
            if not folder.migrations:
                typer.echo(f"nothing to plan: {folder.summary()}")
                raise typer.Exit(0)
        sources = folder.sources if folder is not None else collect_sources(target)
        snapshot = load_snapshot(database_url) if database_url else None
        plan = plan_sources(
            sources,
            snapshot=snapshot,
            pg_version=pg_version,
            settings=settings,
            migrations=folder.planned if folder is not None else (),
        )
    except BAD_INPUT as error:
        err.print(f"[bold red]error:[/] {escape(_located(error, target))}", highlight=False)
        raise typer.Exit(2) from None
    except psycopg.Error as error:
        err.print(f"[bold red]error:[/] cannot read {redact(database_url or '')}: {error}", highlight=False)
        raise typer.Exit(2) from None
    problems = check_plan(plan, snapshot)
    if not problems and (prove if prove is not None else database_url is not None):
        plan, problems = _prove(plan, database_url, scratch_server_url, out, err)
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


def _located(error: Exception, target: str) -> str:
    """The refusal naming the file as well as the line: the planner names the file only when it plans
    several (a folder), so a single file's "line 12: ..." gets its path in front."""
    message = str(error)
    if isinstance(error, PlanningError) and message.startswith("line ") and not Path(target).is_dir():
        return f"{'<stdin>' if target == '-' else target}: {message}"
    return message
