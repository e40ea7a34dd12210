"""A generated workload for when there is no query corpus: point reads, inserts and updates by primary key.

Most OLTP traffic on a table a migration touches is exactly this: an ORM fetching a row by id, inserting
one, saving one. Generating it from the live catalog (columns, defaults, keys, foreign keys) means the
load needs nothing but the tables' names, and that inserts and updates are valid rows: foreign-key columns
draw from the referenced table's key range, columns with a default are left to it, generated and identity
columns are never written. Keys are drawn from each table's current key range, so reads and updates hit
real rows without reading the table first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg

from zdt.load.workload import (
    Query,
    QueryKind,
    TableShape,
    ValueKind,
    ValueSpec,
    Workload,
    key_range,
    primary_key,
    primary_key_range,
    render,
)


@dataclass(frozen=True)
class Mix:
    """Shares of point reads, inserts and updates (they need not add up to 1)."""

    read: float = 0.6
    insert: float = 0.2
    update: float = 0.2

    def weights(self) -> dict[QueryKind, float]:
        return {QueryKind.READ: self.read, QueryKind.INSERT: self.insert, QueryKind.UPDATE: self.update}


_COLUMNS = """
SELECT a.attname::text AS name, format_type(a.atttypid, NULL) AS base_type,
       CASE WHEN a.atttypmod > 4 AND a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype)
            THEN a.atttypmod - 4 END AS max_length,
       a.attnotnull AS not_null, a.atthasdef AS has_default, a.attidentity <> '' AS identity,
       a.attgenerated <> '' AS generated
FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_FOREIGN_KEYS = """
SELECT a.attname::text AS name, format('%%I.%%I', n.nspname, c.relname) AS referenced
FROM pg_constraint k
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
JOIN pg_class c ON c.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.conrelid = %s::regclass AND k.contype = 'f' AND cardinality(k.conkey) = 1
"""

_INTEGERS = {"smallint", "integer", "bigint"}
_TEXTS = {"text", "character varying", "character", "citext"}
_FLOATS = {"real", "double precision", "numeric"}
_TIMES = {"timestamp with time zone", "timestamp without time zone", "date"}
_SCALARS = {
    "boolean": ValueSpec(ValueKind.BOOL),
    "uuid": ValueSpec(ValueKind.UUID),
    "json": ValueSpec(ValueKind.JSON),
    "jsonb": ValueSpec(ValueKind.JSON),
}


def table_shape(
    conn: psycopg.Connection,
    table: str,
    *,
    references: Mapping[str, str] | None = None,
    update_columns: Sequence[str] | None = None,
    text_length: int = 16,
) -> TableShape:
    """Read what the generated queries of ``table`` need from the catalog.

    ``references`` maps a column to the table whose keys it holds when no foreign key says so (many
    applications keep such columns unconstrained, and a migration may be about to add the constraint);
    ``update_columns`` overrides which columns an UPDATE sets (default: every written column that is not
    a reference, like an ORM saving a whole row).
    """
    key = primary_key(conn, table)
    low, high = primary_key_range(conn, table)
    refs = dict(references or {})
    for name, referenced in conn.execute(_FOREIGN_KEYS, (table,)).fetchall():
        refs.setdefault(str(name), str(referenced))
    read_columns: list[str] = []
    written: list[tuple[str, ValueSpec]] = []  # what an INSERT names: columns without a default
    writable: dict[str, ValueSpec] = {}  # what an UPDATE may set
    for name, base_type, max_length, not_null, has_default, identity, generated in conn.execute(
        _COLUMNS, (table,)
    ).fetchall():
        read_columns.append(name)
        if name == key or identity or generated:
            continue
        spec = _value_for(conn, name, base_type, max_length, refs.get(name), text_length)
        if spec is None:
            if not_null and not has_default:
                raise ValueError(f"cannot generate values for {table}.{name} ({base_type}, NOT NULL)")
            continue
        writable[name] = spec
        if not has_default:
            written.append((name, spec))
    if update_columns is not None:
        by_name = writable
        missing = [c for c in update_columns if c not in by_name]
        if missing:
            raise ValueError(f"{table}: cannot generate values for update columns {missing}")
        updates = [(c, by_name[c]) for c in update_columns]
    else:
        updates = [(c, spec) for c, spec in written if c not in refs] or written
    return TableShape(
        table=table,
        key=key,
        key_low=low,
        key_high=high,
        read_columns=tuple(read_columns),
        insert_values=tuple(written),
        update_values=tuple(updates),
    )


def _value_for(
    conn: psycopg.Connection,
    name: str,
    base_type: str,
    max_length: int | None,
    referenced: str | None,
    text_length: int,
) -> ValueSpec | None:
    if referenced is not None:
        low, high = primary_key_range(conn, referenced)
        return key_range(low, high)
    if base_type in _INTEGERS:
        return ValueSpec(ValueKind.INT, low=0, high=1000)
    if base_type in _TEXTS:
        return ValueSpec(ValueKind.TEXT, length=min(text_length, max_length or text_length))
    if base_type in _FLOATS:
        return ValueSpec(ValueKind.FLOAT, low=0, high=1000)
    if base_type in _TIMES:
        return ValueSpec(ValueKind.NOW)
    return _SCALARS.get(base_type)


def generated_workload(
    conn: psycopg.Connection,
    tables: Sequence[str],
    *,
    mix: Mix | None = None,
    table_weights: Mapping[str, float] | None = None,
    references: Mapping[str, Mapping[str, str]] | None = None,
    update_columns: Mapping[str, Sequence[str]] | None = None,
    name: str = "generated",
) -> Workload:
    """Point reads, inserts and updates over ``tables`` in the ``mix`` (default 60/20/20).

    Each table gets ``table_weights[table]`` of the traffic (default: equal shares), split by the mix.
    ``references`` and ``update_columns`` are per table, as for ``table_shape``.
    """
    mix = mix or Mix()
    weights = {table: (table_weights or {}).get(table, 1.0) for table in tables}
    queries: list[Query] = []
    for table in tables:
        shape = table_shape(
            conn,
            table,
            references=(references or {}).get(table),
            update_columns=(update_columns or {}).get(table),
        )
        for kind, share in mix.weights().items():
            weight = share * weights[table]
            if weight > 0:
                queries.append(render(shape, kind, weight, f"{kind.value} {table}"))
    return Workload(tuple(queries), name=name, tables=tuple(tables))
