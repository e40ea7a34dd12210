"""Plan notes for backfills whose WAL would request checkpoints, with the estimate checked on a server."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.executor.plans import make_table
from zdt.executor import apply_plan
from zdt.executor.wal_pacing import wal_insert_position
from zdt.plan.check import stamp
from zdt.plan.wal_volume import WAL_PER_TABLE_BYTE, wal_trigger_bytes
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

BACKFILL = "ALTER TABLE items ADD COLUMN n double precision NOT NULL DEFAULT random();"


def test_the_snapshot_reads_the_servers_checkpoint_settings(conn: psycopg.Connection) -> None:
    checkpoints = introspect(conn).checkpoints
    assert checkpoints is not None
    max_wal = conn.execute(
        "SELECT setting::bigint * 1024 * 1024 FROM pg_settings WHERE name = 'max_wal_size'"
    )
    assert checkpoints.max_wal_size_bytes == max_wal.fetchone()[0]  # type: ignore[index]
    timeout = conn.execute("SELECT extract(epoch FROM current_setting('checkpoint_timeout')::interval)::int")
    assert checkpoints.checkpoint_timeout_s == timeout.fetchone()[0]  # type: ignore[index]
    assert wal_trigger_bytes(checkpoints) < checkpoints.max_wal_size_bytes


def test_a_backfill_past_the_checkpoint_trigger_gets_a_note_with_the_remedies(
    conn: psycopg.Connection,
) -> None:
    make_table(conn, "items", 20_000)
    snapshot = introspect(conn)
    assert plan_sql(BACKFILL, snapshot=snapshot).notes == []  # a few MB: far below any max_wal_size

    table_bytes = snapshot.tables["public.items"].bytes
    small = snapshot.checkpoints.model_copy(  # type: ignore[union-attr]
        update={"max_wal_size_bytes": table_bytes, "checkpoint_completion_target": 0.9}
    )
    [note] = plan_sql(BACKFILL, snapshot=snapshot.model_copy(update={"checkpoints": small})).notes
    assert "public.items" in note and "--max-wal-rate" in note and "max_wal_size" in note


def test_the_wal_estimate_is_the_right_order_of_a_real_backfill(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE items (id bigint PRIMARY KEY, author_id int NOT NULL, body text NOT NULL)")
    conn.execute("INSERT INTO items SELECT g, g % 1000, repeat('x', 200) FROM generate_series(1, 50000) g")
    conn.execute("VACUUM ANALYZE items")
    conn.execute("CHECKPOINT")  # the backfill writes the full-page images a production backfill would
    snapshot = introspect(conn)
    plan = stamp(plan_sql(BACKFILL, snapshot=snapshot))
    estimate = WAL_PER_TABLE_BYTE * snapshot.tables["public.items"].bytes
    before = wal_insert_position(conn)

    result = apply_plan(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")

    assert result.ok, result.message
    written = wal_insert_position(conn) - before
    assert estimate / 2 < written < estimate * 2, (written, estimate)
