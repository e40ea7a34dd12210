"""Is the old release gone? Evidence read from the target, before contract removes what it uses.

Two signals, both read-only:

- ``pg_stat_statements``: each statement the target executed, with a call count. The check samples the
  counts of every statement that uses a retired object (``zdt.rollout.usage``), waits an observation
  window, and samples again; a statement whose count grew is the old release (or something else) still
  running it. Counts since the deploy gate would not do: the old release keeps running until the new one
  is rolled out, so its calls always grew since then. A window *now* answers the question contract asks.
- ``pg_stat_activity``: sessions connected with the old release's ``application_name``, when the team
  says which name it uses.

Without ``pg_stat_statements`` the check says so and the verdict is "unknown": contract then needs the
operator's word (or ``--force-contract`` with a reason), recorded in the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum

import psycopg
from psycopg import sql
from pydantic import BaseModel, Field

from zdt.rollout.retired import RetiredObject
from zdt.rollout.usage import retired_references

CHECK_APPLICATION_NAME = "zdt release check"


class ReleaseVerdict(StrEnum):
    GONE = "gone"  # nothing uses what contract removes
    IN_USE = "in_use"  # a statement or a session of the old release is still there
    UNKNOWN = "unknown"  # no pg_stat_statements: only the operator can say


class StatementUse(BaseModel):
    """A statement that uses a retired object, and how often it ran in the window."""

    queryid: int
    query: str
    uses: list[str]
    calls_before: int
    calls_after: int

    @property
    def calls_in_window(self) -> int:
        return self.calls_after - self.calls_before


class OldSession(BaseModel):
    pid: int
    application_name: str
    state: str | None = None
    client: str | None = None
    backend_start: str | None = None


class ReleaseEvidence(BaseModel):
    """What the target showed about the old release, and the verdict drawn from it."""

    checked_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    window_s: float
    retired: list[str]
    statements_available: bool
    statements_note: str = ""
    statements: list[StatementUse] = Field(default_factory=list)
    old_application_name: str | None = None
    sessions: list[OldSession] = Field(default_factory=list)

    @property
    def verdict(self) -> ReleaseVerdict:
        if self.statements or self.sessions:
            return ReleaseVerdict.IN_USE
        return ReleaseVerdict.GONE if self.statements_available else ReleaseVerdict.UNKNOWN

    def summary(self) -> str:
        """One paragraph for the log, the gate and the scratchpads: the verdict and what it rests on."""
        parts: list[str] = []
        for use in self.statements:
            parts.append(
                f"`{_one_line(use.query)}` ran {use.calls_in_window} time(s) in {self.window_s:g} s "
                f"and uses {', '.join(use.uses)}"
            )
        for session in self.sessions:
            parts.append(
                f"session {session.pid} ({session.application_name}, {session.state or 'unknown state'}"
                f"{', from ' + session.client if session.client else ''}) is connected"
            )
        if self.verdict is ReleaseVerdict.IN_USE:
            return "the old release is still running: " + "; ".join(parts)
        if self.verdict is ReleaseVerdict.UNKNOWN:
            return (
                f"cannot tell whether the old release is gone: {self.statements_note}; "
                "contract needs the operator's word (--old-release-gone) or --force-contract REASON"
            )
        watched = ", ".join(self.retired) or "nothing"
        sessions = (
            f"; no session named {self.old_application_name!r} is connected"
            if self.old_application_name
            else ""
        )
        return f"no statement using {watched} ran in {self.window_s:g} s{sessions}"


def observe_old_release(
    url: str,
    retired: Sequence[RetiredObject],
    *,
    application_name: str | None = None,
    window_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> ReleaseEvidence:
    """Watch the target for ``window_s`` seconds for any use of ``retired`` (read-only)."""
    labels = [item.label() for item in retired]
    by_text = [item for item in retired if not item.shared_name]
    shared = [item.label() for item in retired if item.shared_name]
    with psycopg.connect(url, autocommit=True, application_name=CHECK_APPLICATION_NAME) as conn:
        view, note = _statements_view(conn)
        before = _uses(conn, view, by_text) if view is not None else {}
        sleep(window_s)
        after = _uses(conn, view, by_text) if view is not None else {}
        sessions = _old_sessions(conn, application_name) if application_name else []
    if shared and application_name is None:
        # Both releases send the same text for these: only the old release's sessions could tell.
        view, note = (
            None,
            (
                f"the new release names {', '.join(shared)} alike through its version schema, so "
                "pg_stat_statements cannot tell the releases apart: give the old release's application_name "
                "(--old-app-name)"
            ),
        )
    statements = [
        StatementUse(
            queryid=queryid,
            query=query,
            uses=uses,
            calls_before=before.get(queryid, (query, uses, 0))[2],
            calls_after=calls,
        )
        for queryid, (query, uses, calls) in after.items()
        if calls > before.get(queryid, (query, uses, 0))[2]
    ]
    return ReleaseEvidence(
        window_s=window_s,
        retired=labels,
        statements_available=view is not None,
        statements_note=note,
        statements=statements,
        old_application_name=application_name,
        sessions=sessions,
    )


def _statements_view(conn: psycopg.Connection) -> tuple[sql.Composable | None, str]:
    """The pg_stat_statements view in this database, or None and why it cannot be read."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_stat_statements'"
    ).fetchone()
    if row is None:
        return None, "the pg_stat_statements extension is not installed in this database"
    view = sql.Identifier(row[0], "pg_stat_statements")
    try:
        conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(view))
    except psycopg.Error as error:
        return None, f"pg_stat_statements cannot be read: {str(error).strip().splitlines()[0]}"
    return view, ""


def _uses(
    conn: psycopg.Connection, view: sql.Composable | None, retired: Sequence[RetiredObject]
) -> dict[int, tuple[str, list[str], int]]:
    """queryid -> (text, retired objects it uses, calls) for this database's statements using any."""
    rows = conn.execute(
        sql.SQL(
            "SELECT queryid, min(query), sum(calls)::bigint FROM {} "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND queryid IS NOT NULL GROUP BY queryid"
        ).format(view)
    ).fetchall()
    found: dict[int, tuple[str, list[str], int]] = {}
    for queryid, query, calls in rows:
        uses = retired_references(query, retired)
        if uses:
            found[int(queryid)] = (query, [item.label() for item in uses], int(calls))
    return found


def _old_sessions(conn: psycopg.Connection, application_name: str) -> list[OldSession]:
    rows = conn.execute(
        "SELECT pid, application_name, state, client_addr::text, backend_start::text FROM pg_stat_activity "
        "WHERE application_name = %s AND pid <> pg_backend_pid() AND datname = current_database()",
        [application_name],
    ).fetchall()
    return [
        OldSession(pid=pid, application_name=name, state=state, client=client, backend_start=started)
        for pid, name, state, client, started in rows
    ]


def _one_line(query: str, limit: int = 120) -> str:
    text = " ".join(query.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
