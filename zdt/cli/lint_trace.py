"""``zdt lint --trace``: run the script on a throwaway copy of the schema and measure each statement.

The copy lives on the embedded PostgreSQL, or — when ``--database-url`` names a database marked as
staging — in a scratch database on that same server (same version as the target). The named database
itself is never written to: only its schema is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from pglast import ast
from pydantic import BaseModel

from zdt.analysis.model import StatementReport
from zdt.analysis.schema_copy import copy_schema
from zdt.analysis.source import parse_statements
from zdt.analysis.trace import TraceResult, trace_script
from zdt.analysis.trace_compare import disagreements
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database
from zdt.db.staging import is_staging
from zdt.db.urls import with_database

_SESSION_NODES = (ast.TransactionStmt, ast.VariableSetStmt)


class StatementTrace(BaseModel):
    """What one statement measurably did on the copy, and where it contradicts the static claim."""

    where: str
    result: TraceResult
    disagreements: list[str]


@contextmanager
def _trace_database(database_url: str | None) -> Iterator[tuple[str, str]]:
    """(url of a scratch database holding a copy of the schema, description of where it lives)."""
    if database_url and is_staging(database_url):
        with scratch_database(with_database(database_url, "postgres"), prefix="zdt_trace") as url:
            copy_schema(database_url, url)
            yield url, "a scratch copy of the schema on the staging server"
        return
    with EmbeddedPostgres() as server, scratch_database(server.url, prefix="zdt_trace") as url:
        if database_url:
            copy_schema(database_url, url)
        version = psycopg.connect(url).info.server_version // 10000
        where = "a copy of the schema" if database_url else "an empty database"
        yield url, f"{where} on the embedded PostgreSQL {version}"


def trace_sources(
    sources: list[tuple[str, str]],
    results: list[tuple[str, list[StatementReport]]],
    database_url: str | None,
) -> dict[tuple[str, int], StatementTrace]:
    """Trace every script in order on one copy; key the traces by (file, statement index)."""
    traces: dict[tuple[str, int], StatementTrace] = {}
    with _trace_database(database_url) as (url, where):
        for (name, text), (_, reports) in zip(sources, results, strict=True):
            statements = parse_statements(text, name)
            measured = iter(trace_script(url, [s.sql for s in statements]))
            for statement, report in zip(statements, reports, strict=True):
                if isinstance(statement.node, _SESSION_NODES):
                    continue
                truth = next(measured)
                problems = disagreements(report, truth, rows_present=False) if truth.ok else []
                traces[(name, report.index)] = StatementTrace(
                    where=where, result=truth, disagreements=problems
                )
    return traces
