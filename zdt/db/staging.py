"""The staging mark: a database whose comment contains ``zdt:staging`` may be written to without asking."""

from __future__ import annotations

import psycopg

STAGING_MARK = "zdt:staging"

_COMMENT = (
    "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
    "WHERE datname = current_database()"
)


def is_staging(url: str) -> bool:
    """Whether the database's comment carries the staging mark; raises psycopg.Error if unreachable."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute(_COMMENT).fetchone()
    return bool(row and STAGING_MARK in str(row[0]))
