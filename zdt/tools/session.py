"""Database sessions for tools: read-only by construction, bounded in time, and never leaking a password.

A model's query reaches the server only inside ``BEGIN READ ONLY`` with a ``statement_timeout`` and is
always rolled back, so even a policy bug cannot make a read-only tool write, and a slow query cannot hold
locks for long. Error texts pass :func:`scrub` before a model sees them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
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


_WHO = """
SELECT current_user::text, r.rolsuper,
       EXISTS (SELECT 1 FROM pg_roles d WHERE d.rolname = %(reader)s AND NOT d.rolsuper
               AND pg_has_role(current_user, d.oid, 'MEMBER'))
FROM pg_roles r WHERE r.rolname = current_user
"""


def drop_superuser(conn: psycopg.Connection, ctx: ToolContext) -> str:
    """Run the rest of the transaction as ``ctx.reader_role`` when zdt is connected as a superuser and the
    server has that role (not a superuser, one zdt's user may SET ROLE to); say who the query runs as.

    zdt never creates the role: on production that is the operator's decision. Without it a superuser
    connection stays a superuser, and the answer says so (the parse-time fences still apply).
    """
    row = conn.execute(_WHO, {"reader": ctx.reader_role}).fetchone()
    if row is None:
        return "unknown (current_user is not in pg_roles)"
    user, superuser, reader_exists = row
    if not superuser:
        return f"{user} (not a superuser)"
    if reader_exists:
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(ctx.reader_role)))
        return f"{ctx.reader_role} (SET ROLE from superuser {user}: no superuser rights)"
    return (
        f"{user}, a SUPERUSER: the server has no role {ctx.reader_role} to drop to, so only zdt's parse-time "
        f"checks stand between this query and superuser rights (create it: CREATE ROLE {ctx.reader_role} "
        f"NOLOGIN; GRANT pg_read_all_data, pg_read_all_stats TO {ctx.reader_role}; GRANT "
        f"{ctx.reader_role} TO {user})"
    )


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
