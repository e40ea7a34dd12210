"""Compress the full-page images in the migration's own WAL, when the server lets this session do it.

Why: after each checkpoint, the first change to a page writes the whole 8 kB page into the WAL (a full-
page image, so a torn write can be repaired). A backfill touches every page of its table, so most of its
WAL is those images: 2.5-2.7x the table's size here, against the table's size for the rows themselves.
``wal_compression`` compresses exactly those images, and it can be set for one session, by a superuser
or a role granted ``SET`` on it (PostgreSQL 15+). The application's sessions keep the server's setting;
only the executor's work connection pays the compression's CPU.

Opt-in (``ExecutorSettings.wal_compression``), and never fatal: a server that refuses leaves the run as it
was, and the migration log says why.
"""

from __future__ import annotations

import psycopg
from psycopg import sql


def compress_own_wal(conn: psycopg.Connection, method: str | None) -> str:
    """SET wal_compression on the work connection; one sentence for the migration log."""
    if method is None:
        return "WAL compression: as the server sets it."
    try:
        conn.execute(sql.SQL("SET wal_compression = {}").format(sql.Literal(method)))
    except psycopg.errors.InsufficientPrivilege:
        return (
            "WAL compression unchanged: this role may not set wal_compression (superuser, or GRANT SET ON "
            "PARAMETER wal_compression from PostgreSQL 15)."
        )
    except psycopg.errors.InvalidParameterValue as error:
        return f"WAL compression unchanged: the server refused {method!r} ({error.diag.message_primary})."
    return f"WAL compression: {method} for the full-page images of the migration's own WAL."
