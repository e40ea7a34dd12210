"""Lock-taking steps give up within lock_timeout and retry, so traffic never queues behind them for long.

Without lock_timeout, an ALTER TABLE waiting behind a long transaction makes every later reader of the
table queue behind it for as long as that transaction lasts (measured: 4.5 s behind a 5 s transaction).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

from tests.executor.plans import Recorder, add_column, make_table, plan_of, step_rows
from zdt.executor import EventKind, apply_plan
from zdt.plan.model import Timeouts

LOCK_TIMEOUT_MS = 200
MARGIN_MS = 300
BLOCKER_HOLDS_S = 1.0


class Reader(threading.Thread):
    """Application traffic: SELECTs on the table in a loop, from its own connection; records the worst."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.worst_s = 0.0
        self.queries = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self.stop.is_set():
                    started = time.monotonic()
                    conn.execute("SELECT count(*) FROM items").fetchone()
                    self.worst_s = max(self.worst_s, time.monotonic() - started)
                    self.queries += 1
                    time.sleep(0.005)
        except BaseException as error:  # surfaced by the test, never swallowed
            self.error = error


def test_a_blocked_alter_times_out_and_retries_while_readers_keep_flowing(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 1000)
    step = add_column("add-n", "public.items", "n", timeouts=Timeouts(lock_timeout_ms=LOCK_TIMEOUT_MS))
    plan = plan_of([step], pg_version=server_version)

    blocker = psycopg.connect(database_url)  # an open transaction that has read the table
    blocker.execute("SELECT count(*) FROM items").fetchone()
    reader = Reader(database_url)
    reader.start()
    release = threading.Timer(BLOCKER_HOLDS_S, blocker.commit)
    release.start()
    recorder = Recorder()
    started = time.monotonic()
    try:
        result = apply_plan(plan, database_url, on_event=recorder, log_path=log_path)
    finally:
        release.join()
        blocker.close()
        reader.stop.set()
        reader.join(timeout=10)

    assert reader.error is None
    assert result.ok, result.message
    assert time.monotonic() - started >= BLOCKER_HOLDS_S * 0.9  # it really waited for the blocker
    retries = recorder.of(EventKind.STEP_RETRY)
    assert retries and result.steps[0].retries == len(retries)
    assert step_rows(database_url)["add-n"] == ("done", len(retries) + 1)
    assert reader.queries > 20
    assert reader.worst_s * 1000 < LOCK_TIMEOUT_MS + MARGIN_MS, f"a reader waited {reader.worst_s:.3f} s"
