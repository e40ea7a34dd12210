"""Rolling a whole migration back, from any point, to the exact schema it started from."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import (
    Recorder,
    add_check,
    add_column,
    create_index,
    fingerprint,
    increment,
    make_table,
    plan_of,
    step_rows,
)
from zdt.executor import EventKind, MigrationNotFound, MigrationStatus, apply_plan, rollback_migration
from zdt.plan.model import Phase, Rollback, Step, Verification


def test_rollback_after_three_steps_returns_the_exact_prior_schema(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 500)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
            create_index("index-n", "public.items", "items_n", "n"),
            add_check("check-n", "public.items", "items_n_positive", "n >= 0"),
        ],
        pg_version=server_version,
    )
    before = fingerprint(database_url)
    assert apply_plan(plan, database_url, log_path=log_path).ok
    assert fingerprint(database_url) != before

    recorder = Recorder()
    result = rollback_migration(plan, database_url, on_event=recorder, log_path=log_path)

    assert result.ok and result.schema_restored, result.message
    assert fingerprint(database_url) == before == result.fingerprint_before
    assert [s.step_id for s in result.steps] == ["check-n", "index-n", "add-n"]  # reverse order
    assert {status for status, _ in step_rows(database_url).values()} == {"rolled_back"}
    assert recorder.kinds()[-1] is EventKind.ROLLBACK_DONE
    # A rolled-back migration can be applied again.
    assert apply_plan(plan, database_url, log_path=log_path).ok


def test_rollback_from_a_failed_backfill_undoes_its_committed_batches_too(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 1_000)
    bump = increment("bump", "public.items", "n", batch_size=300)
    bump = bump.model_copy(update={"verify": Verification(sql="SELECT false")})  # fails after all batches
    plan = plan_of(
        [add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"), bump],
        pg_version=server_version,
    )
    before = fingerprint(database_url)
    failed = apply_plan(plan, database_url, log_path=log_path)
    assert failed.failed_step == "bump" and not failed.steps[-1].database_restored
    assert "rows are kept" in failed.message

    result = rollback_migration(plan, database_url, log_path=log_path)

    assert result.ok, result.message
    assert [s.step_id for s in result.steps] == ["bump", "add-n"]
    assert fingerprint(database_url) == before


def test_an_irreversible_step_stops_the_rollback_with_its_reason(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    conn.execute("ALTER TABLE items ADD COLUMN legacy text")
    drop = Step(
        id="drop-legacy",
        phase=Phase.CONTRACT,
        description="drop the legacy column",
        sql=["ALTER TABLE public.items DROP COLUMN legacy"],
        verify=Verification(sql="SELECT count(*) = 0 FROM pg_attribute WHERE attname = 'legacy'"),
        rollback=Rollback(irreversible="the column's data is gone"),
    )
    plan = plan_of([add_column("add-n", "public.items", "n"), drop], pg_version=server_version)
    assert apply_plan(plan, database_url, log_path=log_path).ok

    result = rollback_migration(plan, database_url, log_path=log_path)

    assert not result.ok and result.status is MigrationStatus.ROLLBACK_FAILED
    assert result.stopped_at == "drop-legacy"
    assert "the column's data is gone" in result.message
    assert step_rows(database_url) == {"add-n": ("done", 1), "drop-legacy": ("done", 1)}  # nothing undone
    assert "STOPPED" in log_path.read_text()


def test_rolling_back_a_migration_that_never_ran_is_refused(
    database_url: str, server_version: int, log_path: Path
) -> None:
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    with pytest.raises(MigrationNotFound):
        rollback_migration(plan, database_url, log_path=log_path)


def test_a_rollback_that_leaves_a_different_schema_is_reported_loudly(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    leaky = add_column("add-n", "public.items", "n").model_copy(
        update={"rollback": Rollback(sql=["ALTER TABLE public.items RENAME COLUMN n TO n_old"])}
    )
    plan = plan_of([leaky], pg_version=server_version)
    assert apply_plan(plan, database_url, log_path=log_path).ok

    result = rollback_migration(plan, database_url, log_path=log_path)

    assert not result.ok and not result.schema_restored
    assert result.status is MigrationStatus.ROLLBACK_FAILED
    assert "SCHEMA MISMATCH" in result.message
    assert "Rollback FAILED: SCHEMA MISMATCH" in log_path.read_text()
