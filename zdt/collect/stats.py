"""Queries a server has run, from ``pg_stat_statements``: normalised text (``$n``) and call counts.

What production actually sends is the corpus a migration must not break, including the queries no file
shows (an ORM's, a report's, another service's). The connection is read-only
(``default_transaction_read_only``) and, like every zdt connection, has an ``application_name`` starting
with "zdt". ``pg_stat_statements`` records no application_name, so zdt's own statements are left out two
ways: the query ids that sessions named "zdt..." in ``pg_stat_activity`` run or last ran, and any
statement that reads only the server itself (catalogues, ``pg_stat_*`` views, zdt's ``zdt`` schema,
``pg_*`` functions, judged on the parse tree), as zdt's monitor, executor and introspection do. Left out
too: utility statements (``SET``, ``BEGIN``, DDL: recorded by pg_stat_statements, but no query of the
application that a migration could break) and text pglast cannot parse (syntax newer than the parser zdt
runs). Each exclusion is counted in the corpus's notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from zdt.collect.statements import parses, query_kind, reads_only_the_system
from zdt.compat.corpus import CorpusQuery
from zdt.compat.queries import QueryOrigin
from zdt.db.urls import redact

APPLICATION_NAME = "zdt queries collect"
ENABLE_HINT = (
    "enable it: add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart the "
    "server, then run CREATE EXTENSION pg_stat_statements in this database"
)


class StatsUnavailable(RuntimeError):
    """pg_stat_statements cannot be read on this server: the message names the server and the fix."""


@dataclass
class StatsScan:
    """The queries read from the view, and what was left out (counted by reason)."""

    server: str
    queries: list[CorpusQuery] = field(default_factory=list)
    utility: int = 0
    unparsable: int = 0
    zdt_own: int = 0

    def notes(self) -> list[str]:
        return [
            f"pg_stat_statements on {self.server}: {len(self.queries)} queries; left out "
            f"{self.utility} utility statements, {self.unparsable} that do not parse, "
            f"{self.zdt_own} sent by zdt or reading only the server's catalogues"
        ]


def _view(conn: psycopg.Connection, server: str) -> sql.Composable:
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_stat_statements'"
    ).fetchone()
    if row is None:
        raise StatsUnavailable(
            f"pg_stat_statements is not installed in the database of {server}: {ENABLE_HINT}"
        )
    view = sql.Identifier(row[0], "pg_stat_statements")
    try:
        conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(view))
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0]
        raise StatsUnavailable(
            f"pg_stat_statements cannot be read on {server}: {reason}; {ENABLE_HINT}"
        ) from None
    return view


def _zdt_query_ids(conn: psycopg.Connection) -> set[int]:
    """Query ids of the statements zdt's connected sessions run or last ran (application_name zdt...)."""
    try:
        rows = conn.execute(
            "SELECT DISTINCT query_id FROM pg_stat_activity "
            "WHERE application_name LIKE %s AND query_id IS NOT NULL",
            ["zdt%"],
        ).fetchall()
    except psycopg.Error:  # before PostgreSQL 14 there is no query_id: the parse-tree test still applies
        return set()
    return {int(row[0]) for row in rows}


def stats_connection(url: str) -> psycopg.Connection:
    """A read-only connection named as zdt's (every statement on it runs in a read-only transaction)."""
    try:
        return psycopg.connect(
            url,
            autocommit=True,
            application_name=APPLICATION_NAME,
            options="-c default_transaction_read_only=on",
        )
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0]
        raise StatsUnavailable(f"cannot connect to {redact(url)}: {reason}") from None


def collect_stats(url: str, *, min_calls: int = 1) -> StatsScan:
    """The current database's statements in ``pg_stat_statements``, most called first."""
    server = redact(url)
    scan = StatsScan(server=server)
    with stats_connection(url) as conn:
        view = _view(conn, server)
        own_ids = _zdt_query_ids(conn)
        rows = conn.execute(
            sql.SQL(
                "SELECT queryid, min(query), sum(calls)::bigint AS calls FROM {} "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND queryid IS NOT NULL GROUP BY queryid HAVING sum(calls) >= %s "
                "ORDER BY calls DESC, queryid"
            ).format(view),
            [min_calls],
        ).fetchall()
    for queryid, text, calls in rows:
        if int(queryid) in own_ids or reads_only_the_system(text):
            scan.zdt_own += 1
            continue
        kind = query_kind(text)
        if kind is None:
            if parses(text):
                scan.utility += 1
            else:
                scan.unparsable += 1
            continue
        scan.queries.append(
            CorpusQuery(
                name=f"stats {queryid}",
                sql=text.strip(),
                origin=QueryOrigin(kind="stats", place=server, calls=int(calls)),
            )
        )
    return scan
