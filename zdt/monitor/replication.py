"""Replication lag on a primary: how far each standby is behind, and how much WAL each slot keeps.

A backfill writes WAL as fast as the primary can; standbys replay it one process at a time, so the lag is
where a migration hurts readers of replicas (stale reads) long before the primary itself slows down. Read
on the primary only (``pg_current_wal_lsn()`` fails during recovery). ``replay_lag`` is what the primary
measured, which a standby that has caught up and gone idle reports as NULL: that is no lag at all, so it
is recorded as 0 when the standby's replay position equals the current WAL position. The LSN columns are
NULL for a role without pg_read_all_stats: recorded as unknown (None), never as 0.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from zdt.monitor.models import ReplicaLag, SlotLag

_REPLICAS = """
SELECT application_name, client_addr::text AS client_addr, state,
       coalesce(extract(epoch FROM replay_lag)::float8,
                CASE WHEN replay_lsn = pg_current_wal_lsn() THEN 0::float8 END) AS replay_lag_s,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS bytes_behind
FROM pg_stat_replication
ORDER BY application_name, pid
"""

_SLOTS = """
SELECT slot_name, slot_type, active,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes
FROM pg_replication_slots
ORDER BY slot_name
"""


def read_replicas(conn: psycopg.Connection) -> list[ReplicaLag]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_REPLICAS).fetchall()
    return [
        ReplicaLag(
            application_name=row["application_name"] or "",
            client_addr=row["client_addr"],
            state=row["state"],
            replay_lag_s=row["replay_lag_s"],
            bytes_behind=row["bytes_behind"],
        )
        for row in rows
    ]


def read_slots(conn: psycopg.Connection) -> list[SlotLag]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SLOTS).fetchall()
    return [
        SlotLag(
            slot_name=row["slot_name"],
            slot_type=row["slot_type"] or "physical",
            active=bool(row["active"]),
            retained_bytes=row["retained_bytes"],
        )
        for row in rows
    ]
