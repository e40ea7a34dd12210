"""Keyset backfill on a live table: a fixed key range, adaptive batches, progress events, the throttle."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import Recorder, add_column, make_table, plan_of, record_setting
from zdt.executor import EventKind, apply_plan
from zdt.plan.check import backfill_batch_sql, check_plan
from zdt.plan.model import Backfill, MigrationPlan, Phase, Rollback, Step, Verification

ROWS = 3_000


def fill_n(*, batch_size: int, target_batch_ms: int | None) -> Step:
    return Step(
        id="fill-n",
        phase=Phase.MIGRATE,
        description="copy id into n where it is missing",
        backfill=Backfill(
            table="public.items",
            key_column="id",
            set_sql="n = id",
            where_sql="n IS NULL",
            batch_size=batch_size,
            pause_ms=0,
            target_batch_ms=target_batch_ms,
        ),
        verify=Verification(
            sql=f"SELECT count(*) FROM public.items WHERE id <= {ROWS} AND n IS DISTINCT FROM id", expect=0
        ),
        rollback=Rollback(sql=["UPDATE public.items SET n = NULL"]),
    )


def test_rows_inserted_during_the_backfill_are_left_alone_and_it_ends(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", ROWS)
    plan = plan_of(
        [add_column("add-n", "public.items", "n", "bigint"), fill_n(batch_size=500, target_batch_ms=None)],
        pg_version=server_version,
    )
    recorder = Recorder()
    inserted = 0

    def busy_application() -> float:
        """Throttle hook, consulted between batches: here it plays an application inserting rows."""
        nonlocal inserted
        if recorder.of(EventKind.BACKFILL_STARTED):
            inserted += 1
            conn.execute("INSERT INTO items (id) VALUES (%s)", [ROWS + inserted])
        return 0.0

    result = apply_plan(plan, database_url, on_event=recorder, throttle=busy_application, log_path=log_path)

    assert result.ok, result.message
    batches = recorder.of(EventKind.BATCH_DONE)
    assert len(batches) == ROWS // 500
    assert [e.rows for e in batches][-1] == ROWS and batches[-1].total_rows == ROWS
    assert all(e.rows_per_s and e.eta_s is not None for e in batches)
    late = conn.execute("SELECT count(*) FROM items WHERE id > %s AND n IS NULL", [ROWS]).fetchone()
    assert late == (inserted,) and inserted >= len(batches)


def test_batches_grow_toward_the_target_duration_within_bounds(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", ROWS)
    conn.execute("ALTER TABLE items ADD COLUMN n bigint")
    conn.execute("UPDATE items SET n = id WHERE id % 2 = 0")  # half the rows are already done
    plan = plan_of([fill_n(batch_size=50, target_batch_ms=10_000)], pg_version=server_version)
    recorder = Recorder()

    result = apply_plan(plan, database_url, on_event=recorder, log_path=log_path)

    assert result.ok, result.message
    sizes = [e.batch_size for e in recorder.of(EventKind.BATCH_DONE)]
    assert sizes[:4] == [100, 200, 400, 500]  # doubled each batch, capped at 10 x the starting size
    [started] = recorder.of(EventKind.BACKFILL_STARTED)
    assert started.total_rows == ROWS // 2  # counted with where_sql: only the rows still to do
    assert recorder.of(EventKind.BATCH_DONE)[-1].rows == ROWS // 2


def test_percent_signs_in_the_backfill_sql_reach_the_server_unchanged(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 100)
    conn.execute("UPDATE items SET payload = '50%' WHERE id % 2 = 0")
    step = Step(
        id="mark",
        phase=Phase.MIGRATE,
        description="rewrite percentages",
        backfill=Backfill(
            table="public.items",
            key_column="id",
            set_sql="payload = 'x' || replace(payload, '%', ' percent')",
            where_sql="payload LIKE '%\\%' ESCAPE '\\'",
            batch_size=30,
            pause_ms=0,
        ),
        verify=Verification(sql="SELECT count(*) FROM public.items WHERE payload = 'x50 percent'", expect=50),
        rollback=Rollback(sql=["UPDATE public.items SET payload = '50%' WHERE payload = 'x50 percent'"]),
    )
    result = apply_plan(plan_of([step], pg_version=server_version), database_url, log_path=log_path)
    assert result.ok, result.message
    rows = conn.execute("SELECT payload, count(*) FROM items GROUP BY payload ORDER BY payload").fetchall()
    assert ("x50 percent", 50) in rows
    assert all("%" not in payload for payload, _ in rows)


def test_batches_commit_without_waiting_for_the_wal_flush(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    """Each batch runs with synchronous_commit off (its progress row commits with it, so a crash loses
    whole batches that the resume redoes); the setting is LOCAL, so later steps are durable again."""
    make_table(conn, "items", 100)
    step = record_setting(
        "synchronous_commit",
        Verification(sql="SELECT count(*) FROM public.items WHERE payload = 'off'", expect=100),
    )
    after = Step(
        id="after",
        phase=Phase.MIGRATE,
        description="a later step sees the server's default again",
        sql=["COMMENT ON TABLE public.items IS 'durable'"],
        verify=Verification(sql="SELECT current_setting('synchronous_commit') = 'on'"),
        rollback=Rollback(sql=["COMMENT ON TABLE public.items IS NULL"]),
    )
    result = apply_plan(plan_of([step, after], pg_version=server_version), database_url, log_path=log_path)
    assert result.ok, result.message
    assert conn.execute("SELECT payload, count(*) FROM items GROUP BY payload").fetchall() == [("off", 100)]


def test_index_builds_and_vacuums_leave_the_other_cores_to_the_application(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    """The executor's sessions run with max_parallel_maintenance_workers 0 unless told otherwise."""
    make_table(conn, "items", 10)
    step = Step(
        id="serial",
        phase=Phase.EXPAND,
        description="see the executor's own setting",
        sql=["COMMENT ON TABLE public.items IS 'serial'"],
        verify=Verification(sql="SELECT current_setting('max_parallel_maintenance_workers') = '0'"),
        rollback=Rollback(sql=["COMMENT ON TABLE public.items IS NULL"]),
    )
    plan = plan_of([step], pg_version=server_version)
    assert apply_plan(plan, database_url, log_path=log_path).ok
    server_default = conn.execute("SELECT current_setting('max_parallel_maintenance_workers')").fetchone()
    assert server_default != ("0",)  # the server's own setting is untouched (default 2)


def test_an_update_from_batch_updates_each_row_once_with_one_of_its_matches(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    """Backfill.from_sql: the batches join the FROM list as the plain UPDATE ... FROM does. A row with two
    matches is updated once, to one of them; a row without a match is left alone; the rows to do are
    counted once each, however many matches they have."""
    make_table(conn, "items", ROWS)
    conn.execute("CREATE TABLE labels (item_id bigint, label text)")
    conn.execute(
        "INSERT INTO labels SELECT g, 'one ' || g FROM generate_series(1, %s) g WHERE g %% 3 <> 0", [ROWS]
    )
    conn.execute(
        "INSERT INTO labels SELECT g, 'two ' || g FROM generate_series(1, %s) g WHERE g %% 5 = 0", [ROWS]
    )
    unmatched = ROWS // 3 - ROWS // 15  # ids divisible by 3 but not by 5
    step = Step(
        id="label",
        phase=Phase.MIGRATE,
        description="copy each item's label",
        backfill=Backfill(
            table="public.items",
            key_column="id",
            set_sql="payload = l.label",
            from_sql="labels AS l",
            where_sql="l.item_id = items.id",
            batch_size=500,
            pause_ms=0,
            target_batch_ms=None,
        ),
        verify=Verification(sql="SELECT count(*) FROM public.items WHERE payload = 'x'", expect=unmatched),
        rollback=Rollback(sql=["UPDATE public.items SET payload = 'x'"]),
    )
    recorder = Recorder()
    result = apply_plan(
        plan_of([step], pg_version=server_version), database_url, on_event=recorder, log_path=log_path
    )
    assert result.ok, result.message
    matched = ROWS - unmatched
    [started] = recorder.of(EventKind.BACKFILL_STARTED)
    assert started.total_rows == matched
    assert recorder.of(EventKind.BATCH_DONE)[-1].rows == matched  # the UPDATE's row count: once per row
    wrong = conn.execute(
        "SELECT count(*) FROM items i WHERE i.payload <> 'x' AND NOT EXISTS "
        "(SELECT 1 FROM labels l WHERE l.item_id = i.id AND l.label = i.payload)"
    ).fetchone()
    assert wrong == (0,)  # every updated row holds one of its own matches


def test_a_deleting_backfill_removes_the_selected_rows_batch_by_batch(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", ROWS)
    conn.execute("CREATE TABLE doomed (item_id bigint)")
    conn.execute("INSERT INTO doomed SELECT g FROM generate_series(1, %s) g WHERE g %% 4 = 0", [ROWS])
    step = Step(
        id="purge",
        phase=Phase.CONTRACT,
        description="delete the doomed items",
        backfill=Backfill(
            table="public.items",
            key_column="id",
            delete=True,
            from_sql="doomed",
            where_sql="doomed.item_id = items.id",
            batch_size=500,
            pause_ms=0,
            target_batch_ms=None,
        ),
        verify=Verification(sql="SELECT count(*) FROM public.items", expect=ROWS - ROWS // 4),
        rollback=Rollback(irreversible="the deleted rows are gone"),
    )
    recorder = Recorder()
    result = apply_plan(
        plan_of([step], pg_version=server_version), database_url, on_event=recorder, log_path=log_path
    )
    assert result.ok, result.message
    assert len(recorder.of(EventKind.BATCH_DONE)) == ROWS // 500
    assert recorder.of(EventKind.BATCH_DONE)[-1].rows == ROWS // 4
    assert conn.execute("SELECT count(*) FROM items WHERE id % 4 = 0").fetchone() == (0,)


@pytest.mark.parametrize(
    ("fragments", "problem"),
    [
        (
            {"from_sql": "labels WHERE true; DELETE FROM items"},
            "backfill: refused by policy: expected exactly",
        ),
        ({"from_sql": "(SELECT pg_terminate_backend(1)) AS k"}, "calls pg_terminate_backend"),
        ({"from_sql": "labels", "where_sql": "true) RETURNING (1"}, "a batch must be one UPDATE of"),
    ],
)
def test_the_gate_judges_a_batch_with_its_from_list(fragments: dict[str, str], problem: str) -> None:
    step = Step(
        id="label",
        phase=Phase.MIGRATE,
        description="copy labels",
        backfill=Backfill(table="public.items", key_column="id", set_sql="payload = 'y'", **fragments),
        verify=Verification(sql="SELECT true"),
        rollback=Rollback(not_needed="a test"),
    )
    batch = backfill_batch_sql(step)
    assert batch.startswith("UPDATE public.items SET payload = 'y' FROM ")
    assert 'public.items."id" > 0 AND public.items."id" <= 1' in batch
    plan = MigrationPlan(id="m1", source="-- test", pg_version=18, steps=[step])
    assert any(problem in str(found) for found in check_plan(plan)), check_plan(plan)
