"""Forward, back, forward again: the rehearsal proves the way back and a second run after it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import add_column, create_index, fingerprint, make_table, plan_of
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import Phase, Rollback, Step, Verification
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.round_trip import first_run_phases, not_rehearsable, round_trip
from zdt.schema import introspect


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "MIGRATION-LOG.md"


def _checksum(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT md5(string_agg(id || ':' || n, ',' ORDER BY id)) FROM items").fetchone()
    assert row is not None
    return str(row[0])


def test_a_reversible_plan_goes_forward_back_forward_and_back_to_where_it_began(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 200)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
            create_index("index-n", "public.items", "items_n", "n"),
        ],
        pg_version=server_version,
    )
    before = fingerprint(database_url)
    assert first_run_phases(plan) is None
    first = apply_plan(plan, database_url, log_path=log_path)

    trip = round_trip(plan, database_url, first, settings=None, log_path=log_path)

    assert trip.ok and trip.scope == "the whole plan"
    assert trip.rollback is not None and trip.rollback.schema_restored
    assert trip.forward_again is not None and trip.forward_again.ok, trip.forward_again
    assert [step.action for step in trip.forward_again.steps] == ["apply", "apply"]  # really ran again
    assert trip.final_rollback is not None and trip.final_rollback.schema_restored
    assert fingerprint(database_url) == before
    assert trip.figures()["forward_again"] == {"ok": True, "message": trip.forward_again.message}


def test_a_leftover_the_fingerprint_cannot_see_fails_the_second_run(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    """The undo forgets a row it wrote: the schema is restored, but the plan cannot run a second time."""
    make_table(conn, "items", 10)
    seed = Step(
        id="seed-row",
        phase=Phase.MIGRATE,
        description="write the sentinel row",
        sql=["INSERT INTO public.items (id) VALUES (1000000)"],
        verify=Verification(sql="SELECT count(*) = 1 FROM public.items WHERE id = 1000000"),
        rollback=Rollback(sql=["SELECT 1"]),  # the bug: the row stays behind
    )
    plan = plan_of([add_column("add-n", "public.items", "n"), seed], pg_version=server_version)
    first = apply_plan(plan, database_url, log_path=log_path)
    assert first.ok, first.message

    trip = round_trip(plan, database_url, first, settings=None, log_path=log_path)

    assert trip.rollback is not None and trip.rollback.schema_restored  # the fingerprint is satisfied
    assert trip.forward_again is not None and not trip.forward_again.ok
    assert trip.forward_again.failed_step == "seed-row"
    assert "duplicate key" in trip.forward_again.message
    assert not trip.ok
    assert trip.final_rollback is not None and trip.final_rollback.schema_restored  # left as it began


def test_a_final_contract_is_rehearsed_as_the_deploy_gate_rollback_then_run_to_the_end(
    conn: psycopg.Connection, database_url: str, log_path: Path
) -> None:
    """A batched UPDATE of an existing column: contract drops the kept values and cannot be undone,
    so the way back is rehearsed from after migrate, and the second run goes through contract."""
    make_table(conn, "items", 300)
    conn.execute("ALTER TABLE items ADD COLUMN n integer")
    conn.execute("UPDATE items SET n = id % 7")
    original = _checksum(database_url)
    snapshot = introspect(conn)
    plan = stamp(plan_sql("UPDATE items SET n = n + 100 WHERE n > 2;", snapshot=snapshot), snapshot)
    phases = first_run_phases(plan)
    assert phases == [Phase.EXPAND, Phase.MIGRATE] and not_rehearsable(plan) is None
    first = apply_plan(plan, database_url, phases=phases, log_path=log_path)
    assert first.ok, first.message
    assert _checksum(database_url) != original

    trip = round_trip(plan, database_url, first, settings=None, log_path=log_path)

    assert trip.ok, trip.figures()
    assert trip.scope.startswith("expand and migrate")
    assert trip.rollback is not None and trip.rollback.schema_restored
    assert trip.forward_again is not None and trip.forward_again.ok
    assert trip.final_rollback is None  # contract is final: staging stays migrated
    with psycopg.connect(database_url) as check:
        assert check.execute("SELECT count(*) FROM items WHERE n BETWEEN 3 AND 6").fetchone() == (0,)
        assert check.execute("SELECT count(*) FROM items WHERE n >= 103").fetchone() == (172,)
        kept = check.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'zdt' AND tablename LIKE 'old_items_%'"
        )
        assert kept.fetchone() == (0,)  # contract ran: the kept values are gone


def test_an_irreversible_step_before_contract_leaves_nothing_to_rehearse(server_version: int) -> None:
    """The gate refuses such a plan; should one reach the rehearsal, the result says why, and nothing ran."""
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    final = plan.steps[0].model_copy(update={"rollback": Rollback(irreversible="no way back")})
    unchecked = plan.model_copy(update={"steps": [final]})

    assert not_rehearsable(unchecked) == "steps add-n cannot be undone, so the rollback was not rehearsed"
    assert first_run_phases(unchecked) is None  # only contract decides how far the first run goes
