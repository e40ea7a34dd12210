"""Ask the server whether a query still makes sense: PREPARE it, describe it, roll everything back.

PREPARE runs the parser, name resolution and type checking against the live catalogs — exactly what
breaks when a column is renamed or retyped — without executing anything: no row is read, written or locked.
It still needs ACCESS SHARE on the tables it names, so it runs inside a read-only transaction with a short
lock_timeout and statement_timeout (a query against a table that a migration holds must come back as
"could not check", not hang behind the migration or queue live traffic behind itself), and that
transaction is always rolled back. A prepared statement outlives ROLLBACK, so it is deallocated too.
The describe step records the result columns and parameter types, which is how a change that still
prepares but alters what the application receives is noticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import pq, sql
from pydantic import BaseModel, Field

from zdt.compat.queries import AppQuery
from zdt.policy import check_script

PREPARED_NAME = "zdt_q"
TRANSIENT_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})
"""Lock timeout, statement timeout, deadlock, serialization: the check could not run, not a verdict."""

_TYPES = """
SELECT format_type(t.oid, t.mod) FROM unnest(%s::oid[], %s::int[]) WITH ORDINALITY AS t(oid, mod, n)
ORDER BY t.n
"""


class ResultColumn(BaseModel):
    name: str
    type: str


class QueryOutcome(BaseModel):
    """What one database said about one query."""

    ok: bool
    refused: str | None = Field(default=None, description="Why it was never sent to the server.")
    sqlstate: str | None = None
    message: str | None = None
    hint: str | None = None
    error_line: int | None = Field(default=None, description="Line in the corpus file the error points at.")
    error_column: int | None = None
    columns: list[ResultColumn] = Field(default_factory=list)
    parameters: list[str] = Field(default_factory=list, description="Types PostgreSQL inferred for $1...")

    @property
    def transient(self) -> bool:
        return self.sqlstate in TRANSIENT_SQLSTATES

    @property
    def error(self) -> str | None:
        """'SQLSTATE: message (line L, column C)', the refusal, or None when it prepared."""
        if self.ok:
            return None
        if self.refused:
            return self.refused
        where = f" (line {self.error_line}, column {self.error_column})" if self.error_line else ""
        return f"{self.sqlstate}: {self.message}{where}"


class Timeouts(BaseModel):
    statement_timeout_ms: int = 2000
    lock_timeout_ms: int = 200


@contextmanager
def checker_connection(url: str, connect_timeout_s: int = 10) -> Iterator[psycopg.Connection]:
    """A connection of its own, shown as zdt-compat, that never prepares anything behind our back."""
    with psycopg.connect(
        url, connect_timeout=connect_timeout_s, application_name="zdt-compat", autocommit=False
    ) as conn:
        conn.prepare_threshold = None
        yield conn


def _prefix() -> sql.Composed:
    return sql.SQL("PREPARE {} AS ").format(sql.Identifier(PREPARED_NAME))


def _location(query: AppQuery, position: str | None, prefix_length: int) -> tuple[int | None, int | None]:
    """Map the server's 1-based character position in the PREPARE text to a line/column of the corpus."""
    if not position or not position.isdigit():
        return None, None
    offset = int(position) - 1 - prefix_length
    if not 0 <= offset <= len(query.sql):
        return None, None
    line_start = query.sql.rfind("\n", 0, offset) + 1
    return query.line + query.sql.count("\n", 0, offset), offset - line_start + 1


def _describe(conn: psycopg.Connection) -> tuple[list[ResultColumn], list[str]]:
    result = conn.pgconn.describe_prepared(PREPARED_NAME.encode())
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.OperationalError(result.get_error_message())
    names = [(result.fname(i) or b"?").decode() for i in range(result.nfields)]
    field_types = [result.ftype(i) for i in range(result.nfields)]
    modifiers = [result.fmod(i) for i in range(result.nfields)]
    parameter_types = [result.param_type(i) for i in range(result.nparams)]
    with conn.cursor() as cur:
        columns = [row[0] for row in cur.execute(_TYPES, (field_types, modifiers)).fetchall()]
        parameters = [
            row[0] for row in cur.execute(_TYPES, (parameter_types, [-1] * len(parameter_types))).fetchall()
        ]
    return [ResultColumn(name=n, type=t) for n, t in zip(names, columns, strict=True)], parameters


def prepare_query(conn: psycopg.Connection, query: AppQuery, timeouts: Timeouts) -> QueryOutcome:
    """PREPARE ``query`` in a rolled-back read-only transaction; the connection may not be in one."""
    prefix = _prefix()
    statement = prefix + sql.SQL(query.sql)  # parsed, admitted and policy-checked text
    # The corpus text was split by the parser, but check the assembled statement again: exactly one.
    check_script(statement.as_string(conn), single_statement=True)
    prepared = False
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(
                sql.SQL("SET LOCAL statement_timeout = {}").format(
                    sql.Literal(f"{timeouts.statement_timeout_ms}ms")
                )
            )
            conn.execute(
                sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{timeouts.lock_timeout_ms}ms"))
            )
            conn.execute(statement)
            prepared = True
            columns, parameters = _describe(conn)
    except psycopg.Error as error:
        if conn.broken or conn.closed:
            raise
        diag = error.diag
        line, column = _location(query, diag.statement_position, len(prefix.as_string(conn)))
        return QueryOutcome(
            ok=False,
            sqlstate=error.sqlstate,
            message=diag.message_primary or str(error),
            hint=diag.message_hint,
            error_line=line,
            error_column=column,
        )
    finally:
        if prepared and not (conn.broken or conn.closed):
            _deallocate(conn)
    return QueryOutcome(ok=True, columns=columns, parameters=parameters)


def _deallocate(conn: psycopg.Connection) -> None:
    """PREPARE is not transactional: the statement survives the rollback unless dropped by name."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("DEALLOCATE {}").format(sql.Identifier(PREPARED_NAME)))
