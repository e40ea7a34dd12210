"""Which application traffic a rehearsal runs under: the application's own reads, plus generated writes.

Why both: the application's query corpus (the one the compatibility check reads) is the truth about what
the running code sends, and its reads are what break when a migration changes a result type under a
prepared statement (``SELECT *`` after ADD COLUMN, a retyped column). Its writes are not replayed: their
parameters would have to satisfy the application's invariants, and a made-up INSERT that violates a
constraint is noise, not evidence. Writes come from the generated mix instead (point reads, inserts and
updates by primary key over the tables the plan touches), which the load package builds from the catalog
so that its rows are valid. Without a corpus the generated mix is the whole load.

Anything that cannot be loaded is left out with a note that says why (a table without a single-column
integer key, an empty table, a parameter type we cannot invent values for, a query already failing
before the migration) — the rehearsal then reports what it did not cover instead of failing on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from zdt.compat.prepare import Timeouts, checker_connection, prepare_query
from zdt.compat.queries import AppQuery
from zdt.load import (
    LoadConfig,
    Query,
    QueryKind,
    ValueKind,
    ValueSpec,
    Workload,
    generated_workload,
    run_load,
)

APP_QUERY_PREFIX = "app: "
GENERATED_KEY_RANGE = (1, 1000)  # parameters of the application's reads: small keys, so some rows match

_VALUES_BY_TYPE: dict[str, ValueSpec] = {
    "smallint": ValueSpec(ValueKind.INT, low=1, high=100),
    "integer": ValueSpec(ValueKind.INT, low=GENERATED_KEY_RANGE[0], high=GENERATED_KEY_RANGE[1]),
    "bigint": ValueSpec(ValueKind.INT, low=GENERATED_KEY_RANGE[0], high=GENERATED_KEY_RANGE[1]),
    "numeric": ValueSpec(ValueKind.FLOAT, low=0, high=1000),
    "double precision": ValueSpec(ValueKind.FLOAT, low=0, high=1000),
    "real": ValueSpec(ValueKind.FLOAT, low=0, high=1000),
    "text": ValueSpec(ValueKind.TEXT, length=8),
    "character varying": ValueSpec(ValueKind.TEXT, length=8),
    "boolean": ValueSpec(ValueKind.BOOL),
    "uuid": ValueSpec(ValueKind.UUID),
    "timestamp with time zone": ValueSpec(ValueKind.NOW),
    "timestamp without time zone": ValueSpec(ValueKind.NOW),
    "date": ValueSpec(ValueKind.NOW),
    "jsonb": ValueSpec(ValueKind.JSON),
    "json": ValueSpec(ValueKind.JSON),
}


@dataclass
class RehearsalWorkload:
    """The queries to send, and what was left out of them (with why)."""

    workload: Workload | None
    notes: list[str] = field(default_factory=list)

    @property
    def query_names(self) -> list[str]:
        return [query.name for query in self.workload.queries] if self.workload else []


def application_reads(url: str, queries: Sequence[AppQuery]) -> tuple[list[Query], list[str]]:
    """The corpus's SELECTs as load queries, their ``$n`` parameters drawn by their declared types.

    The types come from PREPARE on the rehearsal copy (the compatibility check's own machinery: read-only,
    rolled back, bounded by timeouts), so a parameter compared with an integer column gets integers.
    """
    reads: list[Query] = []
    notes: list[str] = []
    selects = [query for query in queries if query.kind == "SelectStmt"]
    if not selects:
        return reads, notes
    with checker_connection(url) as conn:
        for query in selects:
            outcome = prepare_query(conn, query, Timeouts())
            if not outcome.ok:
                notes.append(f"{query.label} left out of the load: it does not prepare ({outcome.message})")
                continue
            specs = [_VALUES_BY_TYPE.get(kind) for kind in outcome.parameters]
            unknown = [kind for kind, spec in zip(outcome.parameters, specs, strict=True) if spec is None]
            if unknown:
                notes.append(f"{query.label} left out of the load: no values for parameter type(s) {unknown}")
                continue
            params = tuple((str(n), spec) for n, spec in enumerate(specs, start=1) if spec is not None)
            reads.append(
                Query(
                    name=APP_QUERY_PREFIX + query.label,
                    sql=query.sql,
                    weight=1.0,
                    kind=QueryKind.READ,
                    params=params,
                    positional=True,
                )
            )
    return reads, notes


def generated_queries(url: str, tables: Sequence[str]) -> tuple[list[Query], list[str]]:
    """Point reads, inserts and updates per table; a table the generator cannot serve gets a note."""
    queries: list[Query] = []
    notes: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            try:
                queries.extend(generated_workload(conn, [table]).queries)
            except (ValueError, psycopg.Error) as error:
                notes.append(f"no generated load on {table}: {error}")
    return queries, notes


def drop_failing(
    url: str, workload: Workload, seconds: float, rate: float
) -> tuple[Workload | None, list[str]]:
    """Run the workload briefly before the migration; queries that already fail are not the plan's doing.

    Left in, they would count as errors the migration caused (and trip the monitor's error threshold).
    """
    probe = run_load(url, workload, LoadConfig(rate=rate, connections=2, duration_s=seconds, drain_s=5))
    failing = probe.errors_by_query()
    if not failing:
        return workload, []
    notes = [
        f"{name} left out of the load: it already fails before the migration "
        f"({count} of its requests in a {seconds:g} s warm-up)"
        for name, count in sorted(failing.items())
    ]
    kept = tuple(query for query in workload.queries if query.name not in failing)
    return (Workload(kept, name=workload.name, tables=workload.tables) if kept else None), notes


def rehearsal_workload(
    url: str,
    tables: Sequence[str],
    app_queries: Sequence[AppQuery] = (),
    *,
    warmup_s: float = 1.0,
    warmup_rate: float = 100.0,
) -> RehearsalWorkload:
    """The load for rehearsing a plan that touches ``tables`` on the database at ``url``."""
    reads, notes = application_reads(url, app_queries)
    generated, more = generated_queries(url, tables)
    notes += more
    queries = (*reads, *generated)
    if not queries:
        return RehearsalWorkload(None, [*notes, "no application load: nothing above could be generated"])
    workload, dropped = drop_failing(
        url, Workload(queries, name="rehearsal", tables=tuple(tables)), warmup_s, warmup_rate
    )
    return RehearsalWorkload(workload, notes + dropped)
