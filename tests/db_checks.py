"""Read-only checks on a real database that tests compare before and after a change.

``fingerprint`` is the schema as zdt introspects it (the executor's own ``zdt`` schema left out), and
``table_checksum`` proves a table's data intact. Neither changes anything in the database.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from zdt.schema import introspect


def fingerprint(url: str) -> str:
    with psycopg.connect(url) as conn:
        return introspect(conn).fingerprint()


def table_checksum(url: str, table: str, columns: list[str]) -> tuple[int, str]:
    """Row count and an md5 over the given columns, ordered by the first: proof that data is intact."""
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(row({cols})::text, ',' ORDER BY {first}), ''))"
    ).format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns), first=sql.Identifier(columns[0])
    ) + sql.SQL(" FROM {t}").format(t=sql.Identifier(*table.split(".")))
    with psycopg.connect(url) as conn:
        count, digest = conn.execute(query).fetchone()
    return int(count), str(digest)
