"""``zdt status``: what the executor's bookkeeping in a database says, as text or JSON."""

from __future__ import annotations

import json
from enum import StrEnum

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from zdt.cli.run_guard import EXIT_BAD_INPUT, EXIT_OK, fail
from zdt.db.urls import redact
from zdt.executor import MigrationRecord, StepRecord, migration_status


class StatusFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def status_command(
    database_url: str = typer.Option(
        ..., "--database-url", envvar="ZDT_DATABASE_URL", help="The database to report on."
    ),
    output_format: StatusFormat = typer.Option(StatusFormat.TEXT, "--format", help="text or json."),
) -> None:
    """Show every migration applied to a database: its stage (expanded, migrated, waiting for deploy,
    contracted, rolled back), steps, attempts, backfill progress."""
    try:
        records = migration_status(database_url)
    except psycopg.Error as error:
        raise fail(f"cannot read the status of {redact(database_url)}: {error}", EXIT_BAD_INPUT) from None
    if output_format is StatusFormat.JSON:
        migrations = [r.model_dump(mode="json") | {"stage": r.stage} for r in records]
        typer.echo(json.dumps({"migrations": migrations}, indent=2))
        raise typer.Exit(EXIT_OK)
    console = Console()
    if not records:
        console.print(f"no zdt migration was ever applied to {redact(database_url)}", highlight=False)
    for record in records:
        _render(console, record)
    raise typer.Exit(EXIT_OK)


def _render(console: Console, record: MigrationRecord) -> None:
    running = " (an executor is running it now)" if record.executor_running else ""
    console.print(f"[bold]{record.id}[/]: {record.stage}{running}", highlight=False)
    if record.error:
        console.print(f"  {record.error}", highlight=False, soft_wrap=True)
    table = Table("step", "phase", "status", "attempts", "rows", "progress", "error")
    for step in record.steps:
        table.add_row(
            step.step_id,
            step.phase,
            step.status,
            str(step.attempts),
            str(step.rows),
            _progress(step),
            step.error or "",
        )
    console.print(table)


def _progress(step: StepRecord) -> str:
    if step.backfill is None:
        return ""
    b = step.backfill
    return f"{b.rows_done}/{b.rows_total} rows, {b.batches} batches"
