"""Build small migration folders in a test's tmp_path: ``tree(root, {"V1__a.sql": "SELECT 1;"})``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import psycopg

from zdt.migrations import Migration


def tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path → text or bytes) under ``root`` and return ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def columns(conn: psycopg.Connection, table: str) -> dict[str, tuple[str, bool]]:
    """``{column: (format_type, not_null)}`` of a table, read independently of zdt.migrations.history."""
    rows = conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,),
    ).fetchall()
    return {name: (kind, not_null) for name, kind, not_null in rows}


def keys(migrations: Iterable[Migration]) -> list[str]:
    """The keys of a sequence of migrations, for compact assertions."""
    return [m.key for m in migrations]
