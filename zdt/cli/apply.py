"""``zdt apply``: run a checked plan against a database, step by step, verified and resumable."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from zdt.analysis.schema_copy import SchemaCopyError
from zdt.cli.execution_render import ExecutionRenderer
from zdt.cli.run_guard import (
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_STEP_FAILED,
    TARGET_HELP,
    confirm_target,
    executor_errors,
    fail,
    load_checked_plan,
)
from zdt.db.urls import redact
from zdt.executor import LOG_NAME, ExecutorSettings, MigrationStatus, apply_plan
from zdt.executor.history import record_in_history
from zdt.plan.model import PHASE_ORDER, MigrationPlan, Phase
from zdt.rehearsal.rehearse import rehearse_plan
from zdt.rehearsal.traffic import TrafficSettings


class PhaseChoice(StrEnum):
    EXPAND = "expand"
    MIGRATE = "migrate"
    CONTRACT = "contract"
    ALL = "all"

    def phases(self) -> list[Phase]:
        return list(PHASE_ORDER) if self is PhaseChoice.ALL else [Phase(self.value)]


def apply_command(
    plan_path: Path = typer.Argument(..., metavar="PLAN.json", help="A plan stamped by `zdt plan`."),
    database_url: str = typer.Option(
        ..., "--database-url", envvar="ZDT_DATABASE_URL", help="The database to migrate."
    ),
    phase: PhaseChoice = typer.Option(
        PhaseChoice.ALL, "--phase", help="Run only this phase (earlier phases must be done)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    out: Path = typer.Option(Path("scratchpads"), "--out", help=f"Directory of {LOG_NAME}."),
    lock_timeout: int | None = typer.Option(
        None, "--lock-timeout", min=1, metavar="MS", help="Override every step's lock_timeout."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1, metavar="N", help="Override every backfill's starting batch size."
    ),
    max_wal_rate: float | None = typer.Option(
        None,
        "--max-wal-rate",
        min=0.1,
        metavar="MB/S",
        help="Backfills pause so the server writes at most this much WAL per second "
        "(keeps them from forcing checkpoints; see the plan's risk notes).",
    ),
    wal_compression: str | None = typer.Option(
        None,
        "--wal-compression",
        metavar="METHOD",
        help="SET wal_compression (pglz, lz4, zstd: what the server was built with) on the executor's own "
        "session: less WAL per backfilled row, for CPU; needs superuser or GRANT SET on the parameter.",
    ),
    rehearse: bool = typer.Option(
        False,
        "--rehearse",
        help="Do not touch the target: apply (and roll back) the plan on a throwaway embedded PostgreSQL "
        "holding a copy of the target's schema.",
    ),
    sample_rows: int = typer.Option(
        0, "--sample-rows", min=0, metavar="N", help="With --rehearse: also copy up to N rows of each table."
    ),
    load: bool = typer.Option(
        True,
        "--load/--no-load",
        help="With --rehearse: run expand and migrate under application load (generated point reads, "
        "inserts and updates, prepared statements on); a plan that makes requests fail does not pass.",
    ),
    load_rate: float = typer.Option(
        TrafficSettings().rate, "--load-rate", min=1, metavar="REQ/S", help="With --rehearse: requests/s."
    ),
) -> None:
    """Apply a plan: each step under lock_timeout with retries, verified before the next one starts.

    A run that stops (a failed step, a crash, Ctrl-C) resumes where it stopped when run again.
    """
    plan = load_checked_plan(plan_path)
    settings = ExecutorSettings(
        lock_timeout_ms=lock_timeout,
        batch_size=batch_size,
        max_wal_bytes_per_s=int(max_wal_rate * 1_000_000) if max_wal_rate else None,
        wal_compression=wal_compression,
    )
    console = Console()
    if rehearse:
        traffic = TrafficSettings(enabled=load, rate=load_rate)
        _rehearse(plan, database_url, phase.phases(), sample_rows, traffic, settings, out / LOG_NAME, console)
    confirm_target(database_url, yes, f"apply plan {plan.id}")
    with executor_errors("run"), ExecutionRenderer(console) as render:
        result = apply_plan(
            plan,
            database_url,
            phases=phase.phases(),
            settings=settings,
            on_event=render,
            log_path=out / LOG_NAME,
        )
    if not result.ok:
        raise fail(f"{result.message} (log: {result.log_path})", EXIT_STEP_FAILED)
    console.print(f"plan {plan.id}: {result.message} (log: {result.log_path})", highlight=False)
    if result.status is MigrationStatus.DONE:
        for line in record_in_history(plan, database_url, result):
            console.print(line, highlight=False)
    raise typer.Exit(EXIT_OK)


def _rehearse(
    plan: MigrationPlan,
    database_url: str,
    phases: list[Phase],
    sample_rows: int,
    traffic: TrafficSettings,
    settings: ExecutorSettings,
    log_path: Path,
    console: Console,
) -> None:
    """Run the plan on an embedded copy of the target and exit: 0 proven, 1 not."""
    try:
        with ExecutionRenderer(console) as render:
            result = rehearse_plan(
                plan,
                database_url,
                phases=phases,
                sample_rows=sample_rows,
                settings=settings,
                on_event=render,
                log_path=log_path,
                traffic=traffic,
            )
    except (psycopg.Error, SchemaCopyError) as error:
        raise fail(f"the rehearsal could not copy {redact(database_url)}: {error}", EXIT_BAD_INPUT) from None
    copied = sum(result.sampled_rows.values())
    console.print(
        f"rehearsal on the embedded PostgreSQL {result.server_version}"
        + (f" with {copied:,} sampled rows" if copied else " (schema only)"),
        highlight=False,
    )
    execution = result.execution
    if execution is None or not execution.ok:
        message = execution.message if execution else "did not run"
        raise fail(
            f"rehearsal failed: {message} (log: {log_path}); the target was not touched", EXIT_STEP_FAILED
        )
    console.print(f"  applied: {execution.message}", highlight=False)
    if result.rollback is not None:
        restored = "schema restored exactly" if result.rollback.schema_restored else "SCHEMA MISMATCH"
        console.print(f"  rolled back: {result.rollback.message} ({restored})", highlight=False)
        again = result.trip.forward_again if result.trip else None
        if again is not None:
            outcome = "applied" if again.ok else "FAILED"
            console.print(f"  applied again after the rollback: {outcome}: {again.message}", highlight=False)
    elif result.rollback_skipped:
        console.print(f"  rollback not rehearsed: {result.rollback_skipped}", highlight=False)
    if result.traffic is not None:
        console.print(f"  application load: {result.traffic.summary()}", highlight=False)
        for note in result.traffic.notes:
            console.print(f"    note: {note}", highlight=False)
        for finding in result.traffic.findings:
            console.print(f"    FAILED REQUESTS: {finding.sentence()}", highlight=False)
        if not result.traffic.ok:
            raise fail(
                "rehearsal failed: the application's requests failed during or after the plan (above); "
                "the target was not touched",
                EXIT_STEP_FAILED,
            )
    if not result.ok:
        raise fail("rehearsal failed: the rollback did not restore the schema", EXIT_STEP_FAILED)
    console.print("the target was not touched", highlight=False)
    raise typer.Exit(EXIT_OK)


apply_command.__doc__ = f"{apply_command.__doc__}\n\n{TARGET_HELP}\n\n{EXIT_CODES_HELP}"
