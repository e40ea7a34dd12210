"""What ``zdt apply`` and ``zdt rollback`` check before they touch a database.

The plan must parse and still match the hash the gate stamped on it; the target must be reachable; and a
database not marked as staging is only changed after a person confirmed it at a terminal (or ``--yes``).
A database is marked as staging with ``COMMENT ON DATABASE <name> IS 'zdt:staging'`` (the comment may
hold other text too): a comment, because it needs no zdt objects in the database and only the
database's owner can set it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import typer
from pydantic import ValidationError

from zdt.cli.failure import EXIT_BAD_INPUT, fail
from zdt.db.staging import STAGING_MARK
from zdt.db.staging import is_staging as database_is_staging
from zdt.db.urls import redact
from zdt.executor import ExecutorBusy, ExecutorError
from zdt.plan.check import PlanTampered, ensure_unchanged
from zdt.plan.model import MigrationPlan

EXIT_OK = 0
EXIT_STEP_FAILED = 1
EXIT_REFUSED = 3
EXIT_BUSY = 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 a step failed (the message names it and says what state the database is in); "
    "2 bad input (unreadable or edited plan, unreachable database, a different plan already applied); "
    "3 refused: the target is not marked staging and nobody confirmed at a terminal; "
    "4 another zdt executor is migrating this database; 130 interrupted (Ctrl-C): run again to resume."
)

TARGET_HELP = (
    "Without --yes, a database that is not marked as staging asks for confirmation at the terminal and is "
    f"refused (exit 3) when there is no terminal. Mark one with COMMENT ON DATABASE name IS '{STAGING_MARK}'."
)


def load_checked_plan(path: Path) -> MigrationPlan:
    """The plan in ``path``, refused (exit 2) if unreadable, invalid, unchecked or edited after its check."""
    try:
        plan = MigrationPlan.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"{path}: cannot read: {error}", EXIT_BAD_INPUT) from None
    except ValidationError as error:
        raise fail(f"{path}: not a valid plan: {error}", EXIT_BAD_INPUT) from None
    try:
        ensure_unchanged(plan)
    except PlanTampered as error:
        raise fail(f"{path}: {error}", EXIT_BAD_INPUT) from None
    return plan


def is_staging(url: str) -> bool:
    """Whether the database carries the staging mark; exit 2 if the database is unreachable."""
    try:
        return database_is_staging(url)
    except psycopg.Error as error:
        raise fail(f"cannot connect to {redact(url)}: {error}", EXIT_BAD_INPUT) from None


def confirm_target(url: str, yes: bool, action: str) -> None:
    """Go on if --yes, if the target is staging, or if a person at a terminal says so; else exit 3."""
    staging = is_staging(url)
    if yes or staging:
        return
    target = redact(url)
    if not sys.stdin.isatty():
        raise fail(
            f"{target} is not marked as staging and there is no terminal to confirm at: "
            f"pass --yes to {action} anyway, or mark it with COMMENT ON DATABASE ... IS '{STAGING_MARK}'",
            EXIT_REFUSED,
        )
    if not typer.confirm(f"{target} is not marked as staging. {action.capitalize()} there?", default=False):
        raise fail("not confirmed", EXIT_REFUSED)


@contextmanager
def executor_errors(what: str) -> Iterator[None]:
    """Turn the ways an executor run can stop into the CLI's exit codes and messages."""
    try:
        yield
    except KeyboardInterrupt:
        raise fail(
            "interrupted: nothing is left half-done; run the same command again to continue "
            "(`zdt status` shows where it stopped)",
            EXIT_INTERRUPTED,
        ) from None
    except ExecutorBusy as error:
        raise fail(str(error), EXIT_BUSY) from None
    except ExecutorError as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None
    except psycopg.Error as error:
        raise fail(
            f"the {what} was interrupted by a database error: {error}; run again to resume "
            "(`zdt status` shows where it stopped)",
            EXIT_STEP_FAILED,
        ) from None
