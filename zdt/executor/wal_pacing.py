"""Keep a backfill's write-ahead log under a bytes-per-second budget, so that it does not force checkpoints.

Why: a batched backfill of 2M rows wrote 30-60 MB of WAL per second here. With the default
``max_wal_size`` (1 GB) that requests a checkpoint in the middle of the backfill, and the checkpoint's
flood of writes stalled every client of the server for 150-220 ms at a time — with no lock involved, so
short batches cannot help. Paced below the rate the server can absorb between its timed checkpoints, the
backfill takes longer but leaves the checkpoint schedule alone.

* The pacer reads the server's WAL insert position, not only this session's WAL: checkpoints are
  requested by the WAL volume of the whole server, so the application's own writes spend the same budget.
  It never stops the backfill, however much the application writes: each batch pays its debt in sleep and
  goes on, so progress is slowed, never starved.
* A token bucket: the budget accrues continuously, at most one second's worth is saved up (an idle spell
  must not license a burst), and each batch is charged the WAL written since the previous reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

_INSERT_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"


def wal_insert_position(conn: psycopg.Connection) -> int:
    """The server's WAL insert position in bytes since the start of its WAL."""
    row = conn.execute(_INSERT_POSITION).fetchone()
    assert row is not None
    return int(row[0])


class WalPacer:
    """How long to pause after each batch so the server's WAL rate stays within ``bytes_per_s``."""

    def __init__(self, bytes_per_s: int, start_position: int, clock: Callable[[], float] = time.monotonic):
        if bytes_per_s <= 0:
            raise ValueError(f"a WAL budget must be positive, got {bytes_per_s} bytes/s")
        self.bytes_per_s = bytes_per_s
        self._clock = clock
        self._position = start_position
        self._last = clock()
        self._credit = 0.0
        self.written = 0  # bytes charged since the start
        self.paused_s = 0.0  # pauses asked for since the start

    def pause_after(self, position: int) -> float:
        """Charge the WAL written since the last reading; return the seconds to pause before going on."""
        now = self._clock()
        written = max(position - self._position, 0)
        self._position = position
        self.written += written
        accrued = (now - self._last) * self.bytes_per_s
        self._last = now
        self._credit = min(self._credit + accrued, float(self.bytes_per_s)) - written
        pause = -self._credit / self.bytes_per_s if self._credit < 0 else 0.0
        self.paused_s += pause
        return pause

    def describe(self) -> str:
        """One line for the step's note in MIGRATION-LOG.md."""
        return (
            f"WAL paced to {_megabytes(self.bytes_per_s)}/s: {_megabytes(self.written)} written, "
            f"{self.paused_s:.1f} s of pauses"
        )


def _megabytes(size: float) -> str:
    return f"{size / 1_000_000:.1f} MB"
