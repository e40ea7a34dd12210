"""Database sessions for tools: read-only by construction, bounded in time, and never leaking a password.

A model's query reaches the server only inside ``BEGIN READ ONLY`` with a ``statement_timeout`` and is
always rolled back, so even a policy bug cannot make a read-only tool write, and a slow query cannot hold
locks for long. Error texts pass :func:`scrub` before a model sees them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from zdt.tools.base import ToolError
from zdt.tools.context import DatabaseRole, ToolContext

APPLICATION_NAME = "zdt-agent-tool"


@contextmanager
def read_only_session(
    ctx: ToolContext, role: DatabaseRole | None = None, *, timeout_ms: int | None = None
) -> Iterator[psycopg.Connection]:
    """A connection inside a READ ONLY transaction that is rolled back whatever happens."""
    url = _url(ctx, role)
    timeout = timeout_ms if timeout_ms is not None else ctx.statement_timeout_ms
    try:
        conn = psycopg.connect(url, connect_timeout=10, application_name=APPLICATION_NAME)
    except psycopg.Error as error:
        raise ToolError(f"cannot connect to {ctx.describe(role)}: {scrub(str(error), ctx)}") from None
    try:
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(int(timeout)),))
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (str(int(timeout)),))
        yield conn
    except psycopg.Error as error:
        raise ToolError(f"{type(error).__name__}: {scrub(str(error), ctx)}".strip()) from None
    finally:
        _close(conn)


def _close(conn: psycopg.Connection) -> None:
    try:
        conn.rollback()
    finally:
        conn.close()


def _url(ctx: ToolContext, role: DatabaseRole | None) -> str:
    try:
        return ctx.url_for(role)
    except LookupError as error:
        raise ToolError(str(error)) from None


def scrub(text: str, ctx: ToolContext) -> str:
    """Remove every password the context knows from ``text`` (defence in depth: messages echo input)."""
    for url in (ctx.target_url, ctx.staging_url):
        if not url:
            continue
        try:
            password = conninfo_to_dict(url).get("password")
        except Exception:
            password = None
        if password:
            text = text.replace(str(password), "***")
        text = text.replace(url, "<connection>")
    return text
