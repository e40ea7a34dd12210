"""Plan notes for backfills that will write more WAL than the server absorbs between timed checkpoints.

Why: a checkpoint is *requested* as soon as the WAL written since the last one passes
``max_wal_size / (1 + checkpoint_completion_target)``. A checkpoint started in the middle of a backfill
writes out the buffers the backfill keeps dirtying, paced against the WAL still pouring in, and every
page the backfill touches after it logs a full-page image again: here those writes stalled every client
of the server for 150-220 ms at a time, during a backfill that held no lock anyone waited for. Short
batches cannot help; writing the WAL more slowly (``zdt apply --max-wal-rate``) or raising
``max_wal_size`` for the migration (a reload, no restart) can.

How much WAL: adding a volatile-default column to a table of 250-byte rows (add, backfill, VACUUM) wrote
2.7 times the table's total size (heap and indexes) on PostgreSQL 15 and 18 here, full_page_writes on,
no wal_compression: each row's new version, its index entries, and a full-page image of every page
touched for the first time after a checkpoint. Narrow rows write more per byte (4.7 times for rows of a
key and one letter): per-row overhead. The estimate uses 2.5 times, the order that matters here.
"""

from __future__ import annotations

from zdt.plan.model import Step
from zdt.schema.snapshot import CheckpointSettings, SchemaSnapshot

WAL_PER_TABLE_BYTE = 2.5


def wal_trigger_bytes(checkpoints: CheckpointSettings) -> float:
    """The WAL volume since the last checkpoint at which PostgreSQL requests the next one."""
    return checkpoints.max_wal_size_bytes / (1 + checkpoints.checkpoint_completion_target)


def sustainable_wal_rate(checkpoints: CheckpointSettings) -> float:
    """Bytes per second that reach the trigger no sooner than the timed checkpoint comes anyway."""
    return wal_trigger_bytes(checkpoints) / max(checkpoints.checkpoint_timeout_s, 1)


def backfill_wal_notes(steps: list[Step], snapshot: SchemaSnapshot | None) -> list[str]:
    """One note per backfill whose estimated WAL passes the checkpoint trigger; none without sizes."""
    if snapshot is None or snapshot.checkpoints is None:
        return []
    checkpoints = snapshot.checkpoints
    trigger = wal_trigger_bytes(checkpoints)
    rate = sustainable_wal_rate(checkpoints)
    notes = []
    for step in steps:
        table = snapshot.table(step.backfill.table) if step.backfill else None
        if table is None or not table.bytes:
            continue
        estimate = WAL_PER_TABLE_BYTE * table.bytes
        if estimate <= trigger:
            continue
        notes.append(
            f"`{step.id}` backfills {table.name} ({_mb(table.bytes)}): expect about {_mb(estimate)} of WAL, "
            f"past the {_mb(trigger)} that requests a checkpoint (max_wal_size "
            f"{_mb(checkpoints.max_wal_size_bytes)} / (1 + checkpoint_completion_target "
            f"{checkpoints.checkpoint_completion_target:g})): checkpoints in the middle of the backfill "
            "write out what it keeps dirtying and slow every client of the server. Raise max_wal_size "
            "for the migration "
            f"(a reload is enough), or apply with `--max-wal-rate {rate / 1_000_000:.1f}` (MB/s, the rate "
            f"the {checkpoints.checkpoint_timeout_s} s timed checkpoints absorb: the backfill then takes "
            f"about {_duration(estimate / rate)})."
        )
    return notes


def _mb(size: float) -> str:
    return f"{size / 1_000_000:,.0f} MB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
