"""Applying steps: transactional and CONCURRENTLY steps verified and recorded; runs are resumable no-ops."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import Recorder, add_check, add_column, create_index, make_table, plan_of, step_rows
from zdt.executor import (
    EventKind,
    MigrationStatus,
    PhaseOrderError,
    PlanMismatch,
    SchemaDrift,
    apply_plan,
    migration_status,
)
from zdt.plan.model import Phase
from zdt.schema.snapshot import introspect


def test_transactional_and_concurrent_steps_apply_verify_and_are_recorded_done(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 1000)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer"),
            create_index("index-n", "public.items", "items_n", "n"),
        ],
        pg_version=server_version,
    )
    recorder = Recorder()
    result = apply_plan(plan, database_url, on_event=recorder, log_path=log_path)

    assert result.ok and result.status is MigrationStatus.DONE, result.message
    assert step_rows(database_url) == {"add-n": ("done", 1), "index-n": ("done", 1)}
    snapshot = introspect(conn).tables["public.items"]
    assert "n" in snapshot.columns
    assert [i.valid for i in snapshot.indexes if i.name == "public.items_n"] == [True]
    assert recorder.kinds("add-n") == [EventKind.STEP_STARTED, EventKind.STEP_DONE]
    assert recorder.kinds()[0] is EventKind.MIGRATION_STARTED
    assert recorder.kinds()[-1] is EventKind.MIGRATION_DONE
    # The index step ran outside any transaction (CREATE INDEX CONCURRENTLY refuses to run inside one).
    assert "verified (index is valid)" in result.steps[1].message


def test_running_the_same_plan_again_does_nothing_twice(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    assert apply_plan(plan, database_url, log_path=log_path).ok
    again = apply_plan(plan, database_url, log_path=log_path)
    assert again.ok and [s.action for s in again.steps] == ["skip"]
    assert step_rows(database_url) == {"add-n": ("done", 1)}


def test_phases_run_in_order_and_a_later_phase_waits_for_the_earlier(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    later = add_check("check-n", "public.items", "items_n_positive", "n > 0").model_copy(
        update={"phase": Phase.MIGRATE}
    )
    plan = plan_of([add_column("add-n", "public.items", "n"), later], pg_version=server_version)

    with pytest.raises(PhaseOrderError, match="phase expand is not done"):
        apply_plan(plan, database_url, phases=[Phase.MIGRATE], log_path=log_path)
    expand = apply_plan(plan, database_url, phases=[Phase.EXPAND], log_path=log_path)
    assert expand.status is MigrationStatus.PARTIAL
    assert step_rows(database_url) == {"add-n": ("done", 1), "check-n": ("pending", 0)}
    migrate = apply_plan(plan, database_url, phases=[Phase.MIGRATE], log_path=log_path)
    assert migrate.status is MigrationStatus.DONE
    [record] = migration_status(database_url)
    assert record.status == "done" and not record.executor_running


def test_a_different_plan_under_the_same_id_is_refused(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    first = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    other = plan_of([add_column("add-m", "public.items", "m")], pg_version=server_version)
    assert apply_plan(first, database_url, log_path=log_path).ok
    with pytest.raises(PlanMismatch, match="different plan"):
        apply_plan(other, database_url, log_path=log_path)


def test_a_plan_made_for_another_schema_is_refused_before_any_step(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    drifted = plan.model_copy(update={"schema_fingerprint": "0" * 64})
    drifted = drifted.model_copy(update={"checked_hash": drifted.content_hash()})
    with pytest.raises(SchemaDrift, match="schema changed since planning"):
        apply_plan(drifted, database_url, log_path=log_path)
    assert "n" not in introspect(conn).tables["public.items"].columns
    matching = plan.model_copy(update={"schema_fingerprint": introspect(conn).fingerprint()})
    matching = matching.model_copy(update={"checked_hash": matching.content_hash()})
    assert apply_plan(matching, database_url, log_path=log_path).ok
