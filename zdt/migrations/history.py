"""Reading the shape of a tool's history table, so zdt never writes to a table it misunderstands.

The tables are looked up by their unqualified name through the connection's ``search_path``, as the
tools do (Prisma, golang-migrate, dbmate and diesel use the connection's schema; Flyway its default
schema), and created in ``current_schema()`` when missing. dbmate and golang-migrate both call theirs
``schema_migrations``; only the columns tell them apart (golang-migrate has ``dirty``), so every format
checks the columns before it reads or writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from zdt.migrations.errors import MigrationHistoryError

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg


def table_columns(conn: psycopg.Connection, table: str) -> dict[str, str] | None:
    """``{column: format_type}`` of the table ``table`` names on this connection, ``None`` if it is absent."""
    row = conn.execute("SELECT to_regclass(%s)::oid", (table,)).fetchone()
    if row is None or row[0] is None:
        return None
    rows = conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (row[0],),
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def check_shape(conn: psycopg.Connection, table: str, columns: Iterable[str], tool: str) -> bool:
    """True if the table exists with exactly the tool's columns, False if it does not exist.

    Raises :class:`MigrationHistoryError` naming what is there when the table has other columns: it
    belongs to another tool (dbmate's ``schema_migrations`` is not golang-migrate's) or another version.
    """
    found = table_columns(conn, table)
    if found is None:
        return False
    expected = set(columns)
    if set(found) != expected:
        shape = ", ".join(f"{name} {kind}" for name, kind in found.items())
        raise MigrationHistoryError(
            f"{table} is not {tool}'s history table: it has ({shape}), {tool} writes"
            f" ({', '.join(sorted(expected))})"
        )
    return True
