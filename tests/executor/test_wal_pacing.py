"""The WAL budget of backfills: the pacer's arithmetic, and a real backfill held to the budget."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tests.executor.plans import Recorder, make_table, plan_of
from tests.executor.test_backfill import ROWS, fill_n
from zdt.executor import EventKind, ExecutorSettings, apply_plan
from zdt.executor.wal_pacing import WalPacer, wal_insert_position


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_pacer_charges_each_batch_and_pays_the_debt_in_pauses() -> None:
    clock = FakeClock()
    pacer = WalPacer(1_000_000, start_position=5_000_000, clock=clock)
    clock.now = 0.5  # half a second accrues 500 kB of budget; the batch wrote 1.5 MB
    assert pacer.pause_after(6_500_000) == pytest.approx(1.0)
    clock.now = 1.5  # paused the second it was told to; the next batch wrote nothing
    assert pacer.pause_after(6_500_000) == 0.0
    assert pacer.written == 1_500_000 and pacer.paused_s == pytest.approx(1.0)


def test_an_idle_spell_saves_up_at_most_one_second_of_budget() -> None:
    clock = FakeClock()
    pacer = WalPacer(1_000_000, start_position=0, clock=clock)
    clock.now = 60.0  # a minute idle (a throttle pause, say) must not license a 60 MB burst
    assert pacer.pause_after(3_000_000) == pytest.approx(2.0)


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        WalPacer(0, start_position=0)


def _backfill_wal(
    database_url: str, conn: psycopg.Connection, version: int, log_path: Path, budget: int | None
) -> tuple[int, float, Recorder]:
    """(WAL bytes, seconds) of a backfill of ROWS rows in 10 batches run with the given budget."""
    conn.execute("DROP TABLE IF EXISTS items")
    make_table(conn, "items", ROWS)
    conn.execute("ALTER TABLE items ADD COLUMN n bigint")
    conn.execute("CHECKPOINT")  # every first touch of a page after it writes a full page image: same for both
    recorder = Recorder()
    plan = plan_of(
        [fill_n(batch_size=ROWS // 10, target_batch_ms=None)], plan_id=f"budget-{budget}", pg_version=version
    )
    before, started = wal_insert_position(conn), time.monotonic()
    settings = ExecutorSettings(max_wal_bytes_per_s=budget)
    result = apply_plan(plan, database_url, settings=settings, on_event=recorder, log_path=log_path)
    written, elapsed = wal_insert_position(conn) - before, time.monotonic() - started
    assert result.ok, result.message
    return written, elapsed, recorder


def test_a_backfill_keeps_the_server_wal_rate_within_the_budget(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    unpaced_bytes, unpaced_s, _ = _backfill_wal(database_url, conn, server_version, log_path, None)
    # A budget that makes the same work last a second or two, whatever this machine's speed: unpaced,
    # the backfill takes tens of milliseconds. (The second run writes less: the first one also created
    # the executor's own schema.)
    budget = int(unpaced_bytes / 2.5)

    paced_bytes, paced_s, recorder = _backfill_wal(database_url, conn, server_version, log_path, budget)

    # Not exactly the budget: the last batch's WAL is never paid for in a pause, and the measurement
    # includes the executor's connection and bookkeeping around the backfill.
    assert paced_bytes / paced_s <= budget * 1.5
    assert paced_s > 4 * unpaced_s, (paced_s, unpaced_s)
    pauses = [e.pause_s or 0.0 for e in recorder.of(EventKind.BATCH_DONE)]
    assert sum(pauses) >= 0.5 * paced_s
    assert "WAL paced to" in log_path.read_text()
    assert conn.execute("SELECT count(*) FROM items WHERE n IS DISTINCT FROM id").fetchone() == (0,)


def test_the_executor_refuses_a_wal_budget_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="max_wal_bytes_per_s must be positive"):
        ExecutorSettings(max_wal_bytes_per_s=0)
