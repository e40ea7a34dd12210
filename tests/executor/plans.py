"""Hand-built plans for the executor tests: real steps, stamped by the real gate.

The planner and its recipes are written elsewhere; these tests pin the executor's contract on plans
whose every statement is visible here.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from zdt.executor import EventKind, ExecutionEvent
from zdt.plan.check import stamp
from zdt.plan.model import Backfill, MigrationPlan, Phase, Rollback, Step, Timeouts, Verification
from zdt.schema.snapshot import introspect


def plan_of(steps: list[Step], *, plan_id: str = "m1", pg_version: int = 18) -> MigrationPlan:
    """A plan that passed the gate: stamped with its content hash."""
    plan = MigrationPlan(id=plan_id, source="-- hand-built for tests", pg_version=pg_version, steps=steps)
    return stamp(plan)


def column_exists_sql(table: str, column: str) -> str:
    return (
        "SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = to_regclass("
        f"'{table}') AND attname = '{column}' AND NOT attisdropped"
    )


def add_column(step_id: str, table: str, column: str, definition: str = "integer", **extra: object) -> Step:
    return Step(
        id=step_id,
        phase=Phase.EXPAND,
        description=f"add column {column} to {table}",
        sql=[f"ALTER TABLE {table} ADD COLUMN {column} {definition}"],
        verify=Verification(sql=column_exists_sql(table, column), description=f"{column} exists"),
        rollback=Rollback(sql=[f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}"]),
        **extra,  # type: ignore[arg-type]
    )


def create_index(step_id: str, table: str, index: str, column: str, **extra: object) -> Step:
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS public.{index}"
    return Step(
        id=step_id,
        phase=Phase.EXPAND,
        description=f"build {index} concurrently",
        sql=[f"CREATE INDEX CONCURRENTLY {index} ON {table} ({column})"],
        transactional=False,
        verify=Verification(
            sql="SELECT coalesce((SELECT indisvalid FROM pg_index "
            f"WHERE indexrelid = to_regclass('public.{index}')), false)",
            description="index is valid",
        ),
        rollback=Rollback(sql=[drop], transactional=False),
        on_failure_sql=[drop],
        **extra,  # type: ignore[arg-type]
    )


def add_check(step_id: str, table: str, name: str, condition: str) -> Step:
    return Step(
        id=step_id,
        phase=Phase.EXPAND,
        description=f"add CHECK {name} NOT VALID",
        sql=[f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID"],
        verify=Verification(sql=f"SELECT count(*) = 1 FROM pg_constraint WHERE conname = '{name}'"),
        rollback=Rollback(sql=[f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"]),
    )


def increment(
    step_id: str, table: str, column: str, *, batch_size: int, pause_ms: int = 0, **extra: object
) -> Step:
    """A backfill that is NOT idempotent on purpose: a batch applied twice leaves a row at 2."""
    return Step(
        id=step_id,
        phase=Phase.MIGRATE,
        description=f"add 1 to every {column}",
        backfill=Backfill(
            table=table,
            key_column="id",
            set_sql=f"{column} = {column} + 1",
            batch_size=batch_size,
            pause_ms=pause_ms,
            target_batch_ms=None,
        ),
        verify=Verification(sql=f"SELECT NOT EXISTS (SELECT 1 FROM {table} WHERE {column} <> 1)"),
        rollback=Rollback(sql=[f"UPDATE {table} SET {column} = 0"]),
        **extra,  # type: ignore[arg-type]
    )


def patient(retries: int = 200) -> Timeouts:
    """Timeouts for a step the test blocks on purpose: short lock waits, many retries."""
    return Timeouts(lock_timeout_ms=100, max_lock_retries=retries)


def make_table(conn: psycopg.Connection, name: str, rows: int) -> None:
    conn.execute(
        sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, payload text NOT NULL DEFAULT 'x')").format(
            sql.Identifier(name)
        )
    )
    conn.execute(
        sql.SQL("INSERT INTO {} (id) SELECT g FROM generate_series(1, %s) g").format(sql.Identifier(name)),
        [rows],
    )


def record_setting(setting: str, verify: Verification) -> Step:
    """A backfill that writes the value its own batches see for ``setting`` into items.payload."""
    return Step(
        id="record-setting",
        phase=Phase.MIGRATE,
        description=f"write the batch's own {setting} into every row",
        backfill=Backfill(
            table="public.items",
            key_column="id",
            set_sql=f"payload = current_setting('{setting}')",
            batch_size=40,
            pause_ms=0,
        ),
        verify=verify,
        rollback=Rollback(not_needed="test data"),
    )


def fingerprint(url: str) -> str:
    with psycopg.connect(url) as conn:
        return introspect(conn).fingerprint()


class Recorder:
    """An on_event observer that keeps every event, as a monitor or a session recorder would."""

    def __init__(self) -> None:
        self.events: list[ExecutionEvent] = []

    def __call__(self, event: ExecutionEvent) -> None:
        self.events.append(event)

    def kinds(self, step_id: str | None = None) -> list[EventKind]:
        return [e.kind for e in self.events if step_id is None or e.step_id == step_id]

    def of(self, kind: EventKind) -> list[ExecutionEvent]:
        return [e for e in self.events if e.kind is kind]


def step_rows(url: str, migration_id: str = "m1") -> dict[str, tuple[str, int]]:
    """step id -> (status, attempts) as recorded in zdt.steps."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT step_id, status, attempts FROM zdt.steps WHERE migration_id = %s ORDER BY position",
            [migration_id],
        ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}
