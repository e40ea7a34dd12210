"""What the application sends: weighted queries with parameters drawn per request.

A workload is data, not code, so that it can be pickled into the process that runs the load, read from a
query corpus file, and switched for another one mid-run (the application's new release after an
expand/contract migration). Each query knows its kind (read, insert, update) so that results can be
broken down the way an operator thinks about traffic, and generated queries keep their table's shape so
that a column rename can be applied to them the way the new release would.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


class QueryKind(StrEnum):
    READ = "read"
    INSERT = "insert"
    UPDATE = "update"
    OTHER = "other"


class ValueKind(StrEnum):
    INT = "int"  # uniform in [low, high]
    FLOAT = "float"  # uniform in [low, high)
    TEXT = "text"  # random letters, ``length`` long
    BOOL = "bool"
    UUID = "uuid"
    NOW = "now"  # the client's current time (timestamptz)
    CHOICE = "choice"  # one of ``choices``
    JSON = "json"  # a small JSON object, as text: the server casts it to json/jsonb
    NULL = "null"


@dataclass(frozen=True)
class ValueSpec:
    """How to draw one parameter value. Drawn per request, so every request is a different row."""

    kind: ValueKind
    low: float = 0
    high: float = 0
    length: int = 16
    choices: tuple[Any, ...] = ()

    def draw(self, rng: random.Random) -> Any:
        match self.kind:
            case ValueKind.INT:
                return rng.randint(int(self.low), int(self.high))
            case ValueKind.FLOAT:
                return rng.uniform(self.low, self.high)
            case ValueKind.TEXT:
                return "".join(rng.choices(string.ascii_lowercase, k=self.length))
            case ValueKind.BOOL:
                return rng.random() < 0.5
            case ValueKind.UUID:
                return uuid.UUID(int=rng.getrandbits(128), version=4)
            case ValueKind.NOW:
                return datetime.now(UTC)
            case ValueKind.CHOICE:
                return rng.choice(self.choices)
            case ValueKind.JSON:
                return json.dumps({"n": rng.randint(0, 1000)})
            case ValueKind.NULL:
                return None
        raise ValueError(f"unknown value kind {self.kind}")


def key_range(low: int, high: int) -> ValueSpec:
    """A key drawn uniformly from an existing key range: point reads and updates hit real rows."""
    if high < low:
        raise ValueError(f"empty key range [{low}, {high}]")
    return ValueSpec(ValueKind.INT, low=low, high=high)


@dataclass(frozen=True)
class TableShape:
    """What generated queries need to know about one table: its key, its range, what to read and write.

    Kept on each generated query so that ``Workload.with_column_renamed`` can re-render the SQL the way
    the application's next release would write it, rather than rewriting SQL text.
    """

    table: str  # schema-qualified, e.g. "public.posts"
    key: str
    key_low: int
    key_high: int
    read_columns: tuple[str, ...]
    insert_values: tuple[tuple[str, ValueSpec], ...]
    update_values: tuple[tuple[str, ValueSpec], ...]

    def renamed(self, old: str, new: str) -> TableShape:
        def swap(name: str) -> str:
            return new if name == old else name

        if old == self.key:
            raise ValueError(f"cannot rename the key {self.table}.{old} of a generated workload")
        return replace(
            self,
            read_columns=tuple(swap(c) for c in self.read_columns),
            insert_values=tuple((swap(c), v) for c, v in self.insert_values),
            update_values=tuple((swap(c), v) for c, v in self.update_values),
        )


@dataclass(frozen=True)
class Query:
    """One statement of the application, its share of the traffic and how its parameters are drawn.

    ``sql`` uses psycopg's named placeholders (``%(id)s``), or PostgreSQL's own ``$1`` when
    ``positional`` (an application's query corpus is written that way); psycopg prepares it on the
    server after a few executions, as it does for a real application, unless configured otherwise.
    """

    name: str
    sql: str
    weight: float
    kind: QueryKind = QueryKind.OTHER
    params: tuple[tuple[str, ValueSpec], ...] = ()
    shape: TableShape | None = None  # set for generated queries only
    positional: bool = False  # ``$1``-style SQL as the application wrote it; params drawn in order

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {name: spec.draw(rng) for name, spec in self.params}


@dataclass(frozen=True)
class Workload:
    """The application's statements with their weights; ``name`` tells releases apart in results."""

    queries: tuple[Query, ...]
    name: str = "workload"
    tables: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.queries:
            raise ValueError("a workload needs at least one query")
        if any(q.weight < 0 for q in self.queries) or sum(q.weight for q in self.queries) <= 0:
            raise ValueError("query weights must be non-negative and not all zero")
        names = [q.name for q in self.queries]
        if len(set(names)) != len(names):
            raise ValueError(f"query names must be unique: {names}")

    def shares(self) -> dict[str, float]:
        """Each query's configured fraction of the requests."""
        total = sum(q.weight for q in self.queries)
        return {q.name: q.weight / total for q in self.queries}

    def kind_shares(self) -> dict[QueryKind, float]:
        shares: dict[QueryKind, float] = {}
        for query, share in zip(self.queries, self.shares().values(), strict=True):
            shares[query.kind] = shares.get(query.kind, 0.0) + share
        return shares

    def with_column_renamed(self, table: str, old: str, new: str, *, name: str | None = None) -> Workload:
        """The same traffic as the release that uses ``new`` instead of ``old`` would send it.

        Only generated queries can be re-rendered; a corpus query is the application's own text, so a
        corpus for the new release has to be given instead (raises if a corpus query would need it).
        """
        queries = []
        for query in self.queries:
            if query.shape is None or query.shape.table != table:
                if query.shape is None and _mentions(query.sql, old):
                    raise ValueError(
                        f"query {query.name!r} is corpus text that mentions {old!r}: "
                        "give the new release's corpus instead"
                    )
                queries.append(query)
                continue
            queries.append(render(query.shape.renamed(old, new), query.kind, query.weight, query.name))
        return Workload(tuple(queries), name=name or f"{self.name} ({old} -> {new})", tables=self.tables)


def _mentions(text: str, word: str) -> bool:
    tokens = "".join(ch if ch.isalnum() or ch == "_" else " " for ch in text.lower()).split()
    return word.lower() in tokens


def _identifier(qualified: str) -> sql.Identifier:
    return sql.Identifier(*qualified.split(".", 1))


def render(shape: TableShape, kind: QueryKind, weight: float, name: str) -> Query:
    """The point read, insert or update a typical application (an ORM) sends for this table."""
    table = _identifier(shape.table)
    key = sql.Identifier(shape.key)
    key_param = ("k", key_range(shape.key_low, shape.key_high))
    if kind is QueryKind.READ:
        statement = sql.SQL("SELECT {} FROM {} WHERE {} = %(k)s").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in shape.read_columns), table, key
        )
        params: tuple[tuple[str, ValueSpec], ...] = (key_param,)
    elif kind is QueryKind.INSERT:
        values = shape.insert_values
        if not values:
            statement = sql.SQL("INSERT INTO {} DEFAULT VALUES").format(table)
        else:
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                table,
                sql.SQL(", ").join(sql.Identifier(c) for c, _ in values),
                sql.SQL(", ").join(sql.Placeholder(f"v{i}") for i in range(len(values))),
            )
        params = tuple((f"v{i}", spec) for i, (_, spec) in enumerate(values))
    elif kind is QueryKind.UPDATE:
        values = shape.update_values
        if not values:
            raise ValueError(f"{shape.table} has no column a generated UPDATE could set")
        statement = sql.SQL("UPDATE {} SET {} WHERE {} = %(k)s").format(
            table,
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(f"v{i}"))
                for i, (c, _) in enumerate(values)
            ),
            key,
        )
        params = (*((f"v{i}", spec) for i, (_, spec) in enumerate(values)), key_param)
    else:
        raise ValueError(f"no generated form for {kind}")
    return Query(name=name, sql=statement.as_string(), weight=weight, kind=kind, params=params, shape=shape)


# --- query corpus -----------------------------------------------------------------------------------


def load_corpus(path: Path, conn: psycopg.Connection | None = None, *, name: str | None = None) -> Workload:
    """Read the application's queries from a JSON corpus file (see ``corpus_from_data``)."""
    data = json.loads(path.read_text())
    return corpus_from_data(data, conn, name=name or path.stem)


def corpus_from_data(
    data: Mapping[str, Any], conn: psycopg.Connection | None = None, *, name: str = "corpus"
) -> Workload:
    """A workload from corpus data::

        {"queries": [{"name": "read_post", "kind": "read", "weight": 60,
                      "sql": "SELECT id, title FROM posts WHERE id = %(id)s",
                      "params": {"id": {"key": "public.posts"}}}, ...]}

    A parameter is ``{"key": "schema.table"}`` (uniform over the table's current primary-key range, read
    through ``conn``), ``{"int": [low, high]}``, ``{"float": [low, high]}``, ``{"text": length}``,
    ``{"choice": [...]}``, or ``{"bool": true}`` / ``{"uuid": true}`` / ``{"now": true}`` /
    ``{"json": true}`` / ``{"null": true}``.
    """
    queries = []
    for entry in data.get("queries", []):
        params = tuple(
            (param, _value_spec(spec, conn)) for param, spec in dict(entry.get("params", {})).items()
        )
        queries.append(
            Query(
                name=str(entry["name"]),
                sql=str(entry["sql"]),
                weight=float(entry.get("weight", 1)),
                kind=QueryKind(entry.get("kind", QueryKind.OTHER.value)),
                params=params,
            )
        )
    return Workload(tuple(queries), name=name)


def _value_spec(spec: Mapping[str, Any], conn: psycopg.Connection | None) -> ValueSpec:
    if len(spec) != 1:
        raise ValueError(f"a parameter has exactly one kind, got {dict(spec)}")
    ((kind, arg),) = spec.items()
    if kind == "key":
        if conn is None:
            raise ValueError("a 'key' parameter needs a connection to read the key range")
        low, high = primary_key_range(conn, str(arg))
        return key_range(low, high)
    if kind in ("int", "float"):
        low, high = arg
        return ValueSpec(ValueKind(kind), low=low, high=high)
    if kind == "text":
        return ValueSpec(ValueKind.TEXT, length=int(arg))
    if kind == "choice":
        return ValueSpec(ValueKind.CHOICE, choices=tuple(arg))
    return ValueSpec(ValueKind(kind))


def primary_key_range(conn: psycopg.Connection, table: str) -> tuple[int, int]:
    """min and max of the table's single-column integer primary key (both ends use the index)."""
    key = primary_key(conn, table)
    query = sql.SQL("SELECT min({k}), max({k}) FROM {t}").format(k=sql.Identifier(key), t=_identifier(table))
    row = conn.execute(query).fetchone()
    if row is None or row[0] is None:
        raise ValueError(f"{table} is empty: there is no key range to draw point reads from")
    return int(row[0]), int(row[1])


def primary_key(conn: psycopg.Connection, table: str) -> str:
    row = conn.execute(
        """
        SELECT array_agg(a.attname::text ORDER BY a.attnum), bool_and(a.atttypid IN
               ('int2'::regtype, 'int4'::regtype, 'int8'::regtype))
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = %s::regclass AND i.indisprimary
        """,
        (table,),
    ).fetchone()
    if row is None or not row[0] or len(row[0]) != 1 or not row[1]:
        raise ValueError(f"{table} needs a single-column integer primary key for generated point queries")
    return str(row[0][0])
