"""The executor's connections and the timeouts every statement of a step runs under.

lock_timeout is what keeps traffic flowing: a DDL statement waiting for its lock makes every later
request on that table queue behind it, so it must give up quickly (and retry) rather than wait.
Server-side prepared statements are off because the steps we run change the very tables and types a
prepared statement would be bound to. Parallel maintenance workers are off by default
(``ExecutorSettings.parallel_maintenance_workers``): a CREATE INDEX CONCURRENTLY or VACUUM that takes
every core is fast, but the application's queries wait for CPU meanwhile; one core for the migration is
slower and leaves the others to the traffic.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from zdt.executor.settings import ExecutorSettings
from zdt.executor.statements import recording_cursor
from zdt.plan.model import Timeouts


def connect(url: str, settings: ExecutorSettings, role: str) -> psycopg.Connection:
    """An autocommit connection named after its role, so an operator can tell our sessions apart."""
    conn = psycopg.connect(
        url,
        autocommit=True,
        prepare_threshold=None,
        application_name=f"{settings.application_name} {role}",
        connect_timeout=settings.connect_timeout_s,
    )
    if settings.on_statement is not None:
        conn.cursor_factory = recording_cursor(settings.on_statement, role)
    workers = settings.parallel_maintenance_workers
    if workers is not None and conn.info.server_version >= 110000:  # the setting exists from 11
        conn.execute(sql.SQL("SET max_parallel_maintenance_workers = {}").format(sql.Literal(int(workers))))
    return conn


def plan_sql(text: str) -> sql.SQL:
    """SQL text taken from the plan as is.

    The plan's statements are the one thing that cannot be composed from identifiers: they passed the plan
    gate (parsed, policy-checked) and are pinned by the plan's hash, which ensure_unchanged verified.
    """
    return sql.SQL(text)  # gate-checked plan SQL; mypy reads LiteralString as str, so no cast


def plan_fragment(text: str) -> sql.SQL:
    """A piece of plan SQL (a SET list, a WHERE condition) for a query that also takes parameters.

    psycopg reads ``%`` as a placeholder in a query with parameters, so ``LIKE 'a%'`` must become
    ``LIKE 'a%%'`` there; the server still receives ``LIKE 'a%'``.
    """
    return plan_sql(text.replace("%", "%%"))


def set_timeouts(conn: psycopg.Connection, timeouts: Timeouts, *, local: bool) -> None:
    """SET (LOCAL inside a transaction, so they end with it) lock_timeout and statement_timeout."""
    scope = sql.SQL("LOCAL ") if local else sql.SQL("")
    for name, value in (
        ("lock_timeout", timeouts.lock_timeout_ms),
        ("statement_timeout", timeouts.statement_timeout_ms),
    ):
        conn.execute(sql.SQL("SET {}{} = {}").format(scope, sql.Identifier(name), sql.Literal(f"{value}ms")))


def reset_timeouts(conn: psycopg.Connection) -> None:
    conn.execute("RESET lock_timeout")
    conn.execute("RESET statement_timeout")
