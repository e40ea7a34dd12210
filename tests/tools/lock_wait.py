"""A session queued behind an ACCESS EXCLUSIVE lock on ``users``, for monitoring tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def queued_reader(url: str, settle_s: float = 0.0) -> Iterator[None]:
    """Hold a lock on users in one session while another waits for it; release both on exit."""
    holder = psycopg.connect(url)
    holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    waiter = psycopg.connect(url, autocommit=True)
    thread = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM users"))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        with psycopg.connect(url, autocommit=True) as probe:
            while time.monotonic() < deadline:
                row = probe.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
                if row and row[0]:
                    break
                time.sleep(0.02)
        time.sleep(settle_s)
        yield
    finally:
        holder.rollback()
        thread.join()
        holder.close()
        waiter.close()
