"""Copy a sample of every table's rows from the target into the rehearsal database.

Rows are streamed with COPY (binary-safe, no parsing in Python). Foreign keys between sampled rows may
point at rows that were not sampled, so the load runs with ``session_replication_role = replica``, which
skips the FK triggers; the rehearsal database is a throwaway we own, so that is safe there and nowhere
else. Sequences are moved past the copied keys so inserts during the rehearsal do not collide.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from zdt.schema.snapshot import SchemaSnapshot

_SEQUENCE_VALUES = """
SELECT format('%I.%I', n.nspname, c.relname) AS sequence, s.last_value
FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
WHERE s.last_value IS NOT NULL
"""


def _identifier(qualified: str) -> sql.Identifier:
    schema, _, name = qualified.partition(".")
    return sql.Identifier(schema.strip('"'), name.strip('"'))


def copy_sample(
    source_url: str, target_url: str, snapshot: SchemaSnapshot, rows_per_table: int
) -> dict[str, int]:
    """Copy up to ``rows_per_table`` rows of every ordinary table; return rows copied per table."""
    copied: dict[str, int] = {}
    tables = [name for name, info in snapshot.tables.items() if info.kind == "r"]
    with psycopg.connect(source_url) as source, psycopg.connect(target_url) as target:
        source.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        target.execute("SET session_replication_role = replica")
        for table in tables:
            info = snapshot.tables[table]
            columns = [name for name, col in info.columns.items() if not col.generated]
            column_list = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            select = sql.SQL("COPY (SELECT {cols} FROM {t} LIMIT {n}) TO STDOUT (FORMAT binary)").format(
                cols=column_list, t=_identifier(table), n=sql.Literal(rows_per_table)
            )
            insert = sql.SQL("COPY {t} ({cols}) FROM STDIN (FORMAT binary)").format(
                t=_identifier(table), cols=column_list
            )
            with source.cursor().copy(select) as reader, target.cursor().copy(insert) as writer:
                for chunk in reader:
                    writer.write(chunk)
            counted = target.execute(
                sql.SQL("SELECT count(*) FROM {t}").format(t=_identifier(table))
            ).fetchone()
            assert counted is not None  # count(*) returns one row
            copied[table] = int(counted[0])
        for sequence, last_value in source.execute(_SEQUENCE_VALUES).fetchall():
            target.execute("SELECT setval(%s::regclass, %s, true)", (sequence, last_value))
        target.commit()
    return copied
