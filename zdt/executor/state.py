"""The executor's bookkeeping, kept in the target database itself (schema ``zdt``).

In the target database because that is the only place where the bookkeeping can commit in the same
transaction as the change it records: a transactional step and its ``done`` mark, a backfill batch and
its progress row, commit together or not at all, so a crash can never leave them disagreeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import LiteralString

import psycopg
from psycopg.rows import class_row

from zdt.plan.model import MigrationPlan


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # started and not finished: after a crash, resume decides what it means
    DONE = "done"
    FAILED = "failed"  # stopped; the database is as before the step (or the log says otherwise)
    ROLLED_BACK = "rolled_back"


class MigrationStatus(StrEnum):
    RUNNING = "running"
    PARTIAL = "partial"  # the phases asked for are done; later phases wait for the application
    DONE = "done"
    FAILED = "failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


_SCHEMA: list[LiteralString] = [
    "CREATE SCHEMA IF NOT EXISTS zdt",
    """
    CREATE TABLE IF NOT EXISTS zdt.migrations (
        id text PRIMARY KEY,
        plan_hash text NOT NULL,
        plan jsonb NOT NULL,
        status text NOT NULL,
        fingerprint_before text NOT NULL,
        fingerprint_after text,
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS zdt.steps (
        migration_id text NOT NULL REFERENCES zdt.migrations (id) ON DELETE CASCADE,
        step_id text NOT NULL,
        position integer NOT NULL,
        phase text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'running', 'done', 'failed', 'rolled_back')),
        attempts integer NOT NULL DEFAULT 0,
        rows bigint NOT NULL DEFAULT 0,
        error text,
        leftovers boolean NOT NULL DEFAULT false,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (migration_id, step_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS zdt.backfill_progress (
        migration_id text NOT NULL,
        step_id text NOT NULL,
        table_name text NOT NULL,
        key_column text NOT NULL,
        low_key text,
        high_key text,
        last_key text,
        rows_total bigint NOT NULL DEFAULT 0,
        rows_done bigint NOT NULL DEFAULT 0,
        batches integer NOT NULL DEFAULT 0,
        batch_size integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (migration_id, step_id),
        FOREIGN KEY (migration_id, step_id) REFERENCES zdt.steps (migration_id, step_id) ON DELETE CASCADE
    )
    """,
]


@dataclass
class MigrationRow:
    id: str
    plan_hash: str
    status: str
    fingerprint_before: str
    fingerprint_after: str | None
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclass
class StepRow:
    step_id: str
    position: int
    phase: str
    status: str
    attempts: int
    rows: int
    error: str | None
    leftovers: bool
    started_at: datetime | None
    finished_at: datetime | None


@dataclass
class ProgressRow:
    low_key: str | None
    high_key: str | None
    last_key: str | None
    rows_total: int
    rows_done: int
    batches: int
    batch_size: int

    @property
    def finished(self) -> bool:
        """Every key up to the high key recorded at the start has been covered (or the table was empty)."""
        return self.high_key is None or self.last_key == self.high_key


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the bookkeeping schema if needed; safe to run every time (callers hold the executor lock)."""
    with conn.transaction():
        for statement in _SCHEMA:
            conn.execute(statement)


def schema_exists(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass('zdt.migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


# --- migrations ---------------------------------------------------------------------------------------


def load_migration(conn: psycopg.Connection, migration_id: str) -> MigrationRow | None:
    with conn.cursor(row_factory=class_row(MigrationRow)) as cur:
        return cur.execute(
            "SELECT id, plan_hash, status, fingerprint_before, fingerprint_after, error, started_at, "
            "updated_at, finished_at FROM zdt.migrations WHERE id = %s",
            [migration_id],
        ).fetchone()


def list_migrations(conn: psycopg.Connection) -> list[MigrationRow]:
    with conn.cursor(row_factory=class_row(MigrationRow)) as cur:
        return cur.execute(
            "SELECT id, plan_hash, status, fingerprint_before, fingerprint_after, error, started_at, "
            "updated_at, finished_at FROM zdt.migrations ORDER BY started_at, id"
        ).fetchall()


def record_migration(conn: psycopg.Connection, plan: MigrationPlan, fingerprint_before: str) -> None:
    """Insert (or, after a full rollback, replace) the migration and one pending row per step."""
    with conn.transaction():
        conn.execute("DELETE FROM zdt.migrations WHERE id = %s", [plan.id])
        conn.execute(
            "INSERT INTO zdt.migrations (id, plan_hash, plan, status, fingerprint_before) "
            "VALUES (%s, %s, %s::jsonb, %s, %s)",
            [
                plan.id,
                plan.content_hash(),
                plan.model_dump_json(),
                MigrationStatus.RUNNING,
                fingerprint_before,
            ],
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO zdt.steps (migration_id, step_id, position, phase) VALUES (%s, %s, %s, %s)",
                [(plan.id, step.id, position, step.phase.value) for position, step in enumerate(plan.steps)],
            )


def set_migration_status(
    conn: psycopg.Connection,
    migration_id: str,
    status: MigrationStatus,
    *,
    error: str | None = None,
    fingerprint_after: str | None = None,
) -> None:
    finished = status in (MigrationStatus.DONE, MigrationStatus.ROLLED_BACK)
    conn.execute(
        "UPDATE zdt.migrations SET status = %s, error = %s, updated_at = now(), "
        "fingerprint_after = coalesce(%s, fingerprint_after), "
        "finished_at = CASE WHEN %s THEN now() END WHERE id = %s",
        [status, error, fingerprint_after, finished, migration_id],
    )


# --- steps --------------------------------------------------------------------------------------------


def load_steps(conn: psycopg.Connection, migration_id: str) -> dict[str, StepRow]:
    with conn.cursor(row_factory=class_row(StepRow)) as cur:
        rows = cur.execute(
            "SELECT step_id, position, phase, status, attempts, rows, error, leftovers, started_at, "
            "finished_at FROM zdt.steps WHERE migration_id = %s ORDER BY position",
            [migration_id],
        ).fetchall()
    return {row.step_id: row for row in rows}


def mark_step_running(conn: psycopg.Connection, migration_id: str, step_id: str) -> None:
    """Count an attempt; committed on its own so attempts survive the attempt's rollback."""
    conn.execute(
        "UPDATE zdt.steps SET status = 'running', attempts = attempts + 1, error = NULL, "
        "started_at = coalesce(started_at, now()), finished_at = NULL "
        "WHERE migration_id = %s AND step_id = %s",
        [migration_id, step_id],
    )


def mark_step(
    conn: psycopg.Connection,
    migration_id: str,
    step_id: str,
    status: StepStatus,
    *,
    rows: int | None = None,
    error: str | None = None,
    leftovers: bool = False,
) -> None:
    """Set a step's status; ``leftovers``: it failed and left something in the database for rollback."""
    conn.execute(
        "UPDATE zdt.steps SET status = %s, rows = coalesce(%s, rows), error = %s, leftovers = %s, "
        "finished_at = CASE WHEN %s IN ('done', 'failed', 'rolled_back') THEN now() END "
        "WHERE migration_id = %s AND step_id = %s",
        [status, rows, error, leftovers, status, migration_id, step_id],
    )


# --- backfill progress --------------------------------------------------------------------------------

_PROGRESS_COLUMNS = "low_key, high_key, last_key, rows_total, rows_done, batches, batch_size"


def load_progress(conn: psycopg.Connection, migration_id: str, step_id: str) -> ProgressRow | None:
    with conn.cursor(row_factory=class_row(ProgressRow)) as cur:
        return cur.execute(
            f"SELECT {_PROGRESS_COLUMNS} FROM zdt.backfill_progress WHERE migration_id = %s AND step_id = %s",
            [migration_id, step_id],
        ).fetchone()


def start_progress(
    conn: psycopg.Connection,
    migration_id: str,
    step_id: str,
    *,
    table: str,
    key_column: str,
    low_key: str | None,
    high_key: str | None,
    rows_total: int,
    batch_size: int,
) -> None:
    conn.execute(
        "INSERT INTO zdt.backfill_progress (migration_id, step_id, table_name, key_column, low_key, "
        "high_key, rows_total, batch_size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [migration_id, step_id, table, key_column, low_key, high_key, rows_total, batch_size],
    )


def advance_progress(
    conn: psycopg.Connection,
    migration_id: str,
    step_id: str,
    *,
    expected_last: str | None,
    new_last: str,
    rows: int,
    batch_size: int,
) -> bool:
    """Move the cursor past one batch; False if the cursor was not where this batch started."""
    cur = conn.execute(
        "UPDATE zdt.backfill_progress SET last_key = %s, rows_done = rows_done + %s, batches = batches + 1, "
        "batch_size = %s, updated_at = now() "
        "WHERE migration_id = %s AND step_id = %s AND last_key IS NOT DISTINCT FROM %s::text",
        [new_last, rows, batch_size, migration_id, step_id, expected_last],
    )
    return cur.rowcount == 1


def clear_progress(conn: psycopg.Connection, migration_id: str, step_id: str) -> None:
    conn.execute(
        "DELETE FROM zdt.backfill_progress WHERE migration_id = %s AND step_id = %s", [migration_id, step_id]
    )


def record_step_error(conn: psycopg.Connection, migration_id: str, step_id: str, error: str) -> None:
    """Note an error on a step without changing its status (a rollback that could not undo it)."""
    conn.execute(
        "UPDATE zdt.steps SET error = %s WHERE migration_id = %s AND step_id = %s",
        [error, migration_id, step_id],
    )
