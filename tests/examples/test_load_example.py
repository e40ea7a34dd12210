"""The example database loader: the sizes it promises, data that is identical on every load, and
statistics that tell the analyser the truth about table sizes.

Determinism matters because the migration tests compare checksums of the data before and after a
migration, and because a demo that shows different numbers on every run cannot be reasoned about.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.db_checks import table_checksum
from zdt.db.scratch import scratch_database
from zdt.examples import BASE_ROWS, load_example, row_targets, schema_sql
from zdt.schema.snapshot import SchemaSnapshot, introspect

SCALE = 0.02  # 400 users, 2,000 posts


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def test_scale_one_is_the_documented_size() -> None:
    assert row_targets(1) == {
        "users": 20_000,
        "user_sessions": 10_000,
        "posts": 100_000,
        "user_relationships": 50_000,
        "elections": 20,
        "candidates": 200,
        "payment_records": 30_000,
    }
    assert row_targets(2)["posts"] == 200_000


def test_a_tiny_scale_still_fills_every_table_and_a_bad_one_is_refused() -> None:
    tiny = row_targets(0.0001)
    assert min(tiny.values()) >= 1 and tiny["users"] >= 2
    assert tiny["user_relationships"] <= tiny["users"] * (tiny["users"] - 1)
    with pytest.raises(ValueError, match="scale must be positive"):
        row_targets(0)


def test_the_schema_ships_inside_the_package() -> None:
    text = schema_sql()
    for table in BASE_ROWS:
        assert f"CREATE TABLE {table} (" in text


def test_load_fills_every_table_reports_progress_and_leaves_honest_statistics(database_url: str) -> None:
    seen: list[tuple[str, int]] = []
    counts = load_example(database_url, scale=SCALE, progress=lambda table, rows: seen.append((table, rows)))

    assert counts == row_targets(SCALE)
    assert seen == list(counts.items())
    snapshot = _snapshot(database_url)
    for table, rows in counts.items():
        # ANALYZE ran and the inserts were not counted twice: the analyser sizes tables from these.
        assert snapshot.tables[f"public.{table}"].rows == rows, table
    with psycopg.connect(database_url) as conn:
        # What the seed migrations rely on: every user has a reputation, and the data has a real mix.
        assert conn.execute("SELECT count(*) FROM users WHERE reputation IS NULL").fetchone() == (0,)
        assert conn.execute("SELECT count(DISTINCT visibility) FROM posts").fetchone() == (3,)
        assert conn.execute("SELECT count(DISTINCT status) FROM user_relationships").fetchone() == (2,)
        assert conn.execute("SELECT count(DISTINCT status) FROM payment_records").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM candidates WHERE user_id IS NULL").fetchone() != (0,)
        # Identity sequences were moved past the generated ids: the application's next insert works.
        new_id = conn.execute(
            "INSERT INTO users (email, username, display_name) "
            "VALUES ('new@example.org', 'newcomer', 'New Comer') RETURNING id"
        ).fetchone()
        assert new_id == (counts["users"] + 1,)


def test_two_loads_at_the_same_scale_hold_identical_data(admin_url: str, database_url: str) -> None:
    load_example(database_url, scale=SCALE)
    snapshot = _snapshot(database_url)
    with scratch_database(admin_url, prefix="zdt_test") as other_url:
        load_example(other_url, scale=SCALE)
        assert _snapshot(other_url).fingerprint() == snapshot.fingerprint()
        for table, info in snapshot.tables.items():
            columns = list(info.columns)
            assert table_checksum(other_url, table, columns) == table_checksum(database_url, table, columns)
