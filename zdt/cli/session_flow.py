"""What ``zdt run``, ``zdt resume`` and ``zdt demo`` share: open the store, follow a session, decide, end.

Why one flow: the rule at the approval must be the same whichever command reached it — ``--yes``
approves with a visible note, a person at a terminal is shown the plan and asked, and with neither the
session is left waiting (production untouched) with the exact command that resumes it, exit code 3.
"""

from __future__ import annotations

import getpass
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from langgraph.graph.state import CompiledStateGraph
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console

from zdt.agents.base import Brain
from zdt.cli.run_guard import fail
from zdt.cli.session_render import SessionRenderer, render_approval, render_summary
from zdt.executor import ExecutorSettings
from zdt.graph.build import build_graph
from zdt.graph.checkpoint import StateStoreError, open_checkpointer
from zdt.graph.context import DEFAULT_OUT, SessionContext, SessionSettings
from zdt.graph.extra import discover_extra_nodes
from zdt.graph.runner import Outcome, decision, drive
from zdt.graph.state import SessionStatus

EXIT_DONE = 0
EXIT_FAILED = 1  # failed, or rolled back: the message says which and why
EXIT_BAD_INPUT = 2
EXIT_WAITING = 3  # waiting for an approval; nothing was done in production
EXIT_REJECTED = 5
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 failed or rolled back (the summary says which); 2 bad input; 3 waiting for an "
    "approval (production untouched; the exact `zdt resume` command is printed); 5 rejected; "
    "130 interrupted (resume it with `zdt resume`)."
)

Graph = CompiledStateGraph[Any, Any, Any, Any]


@contextmanager
def session_graph(state_url: str | None) -> Iterator[Graph]:
    """The compiled session graph (with any installed zdt.nodes plugins) on the session store."""
    try:
        with open_checkpointer(state_url) as saver:
            yield build_graph(discover_extra_nodes()).compile(checkpointer=saver)
    except StateStoreError as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None


def _has_password(url: str) -> bool:
    try:
        return bool(conninfo_to_dict(url).get("password"))
    except Exception:
        return True  # unparseable: do not print it


MAX_WAL_RATE_HELP = (
    "Backfills pause so the server writes at most this much WAL per second (MB/s); "
    "the plan's notes say when a backfill needs it. Applies to the runs of this invocation."
)


def session_settings(max_wal_rate: float | None) -> SessionSettings:
    """The session's settings from the CLI options that tune the executor."""
    wal = int(max_wal_rate * 1_000_000) if max_wal_rate else None
    return SessionSettings(executor=ExecutorSettings(max_wal_bytes_per_s=wal))


def session_context(hint: ResumeHint, brain: Brain) -> SessionContext:
    """The session's runtime context from the options the resume command repeats, so they cannot drift."""
    return SessionContext(
        target_url=hint.database_url,
        brain=brain,
        staging_url=hint.staging_url,
        out_dir=hint.out_dir,
        settings=session_settings(hint.max_wal_rate),
    )


@dataclass(frozen=True)
class ResumeHint:
    """How to name this session's connections again on the command line, without printing a password."""

    database_url: str
    staging_url: str | None = None
    state_url: str | None = None
    out_dir: Path = DEFAULT_OUT
    max_wal_rate: float | None = None  # MB/s, see session_settings

    def command(self, session_id: str, action: str = "--approve") -> str:
        parts = ["zdt", "resume", session_id, *([action] if action else [])]
        parts += ["--database-url", self._url(self.database_url, "DATABASE")]
        if self.staging_url:
            parts += ["--staging-url", self._url(self.staging_url, "STAGING")]
        if self.state_url:
            parts += ["--state-url", self._url(self.state_url, "STATE")]
        if self.out_dir != DEFAULT_OUT:
            parts += ["--out", str(self.out_dir)]
        if self.max_wal_rate:
            parts += ["--max-wal-rate", f"{self.max_wal_rate:g}"]
        return " ".join(part if part.startswith('"$') else shlex.quote(part) for part in parts)

    @staticmethod
    def _url(url: str, role: str) -> str:
        return f'"$ZDT_{role}_URL"' if _has_password(url) else url


def follow(
    graph: Graph,
    payload: Any,
    session_id: str,
    context: SessionContext,
    console: Console,
    *,
    yes: bool,
    hint: ResumeHint,
    renderer: SessionRenderer | None = None,
) -> Outcome:
    """Drive the session until it ends, asking at each approval (or leaving it waiting: exit 3)."""
    render = renderer or SessionRenderer(console)
    try:
        result = drive(graph, payload, session_id, context, render)
        while result.pending is not None:
            result = drive(graph, ask(result, console, yes, hint), session_id, context, render)
    except KeyboardInterrupt:
        console.print(
            f"\ninterrupted. The session is saved; continue it with:\n  {hint.command(session_id, '')}",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return result


def ask(result: Outcome, console: Console, yes: bool, hint: ResumeHint) -> Any:
    """The decision on the pending approval: --yes, a person at the terminal, or exit 3 waiting."""
    assert result.pending is not None
    answer = _decide(result.pending, console, yes)
    if answer is None:
        _leave_waiting(result, console, hint)
    return answer


def _decide(pending: dict[str, Any], console: Console, yes: bool) -> Any:
    plan_hash = str(pending["plan_hash"])
    if yes:
        console.print(
            f"[bold yellow]--yes: approving plan {pending.get('plan_id')} (hash {plan_hash[:12]}) "
            "without asking[/]",
            highlight=False,
        )
        return decision(True, plan_hash, f"{getpass.getuser()} (--yes)")
    if not sys.stdin.isatty():
        return None
    render_approval(console, pending)
    if typer.confirm(f"Approve plan {pending.get('plan_id')} (hash {plan_hash[:12]})?", default=False):
        return decision(True, plan_hash, getpass.getuser())
    comment = typer.prompt("Why not? (the planner revises the plan; empty: end the session)", default="")
    return decision(False, plan_hash, getpass.getuser(), comment)


def _leave_waiting(result: Outcome, console: Console, hint: ResumeHint) -> None:
    pending = result.pending or {}
    console.print(
        f"\nSession {result.session_id} is waiting for an approval of plan {pending.get('plan_id')} "
        f"(hash {str(pending.get('plan_hash'))[:12]}). Nothing was done in production.\n"
        f"Review {hint.out_dir / result.session_id / 'MIGRATION-PLAN.md'}, then run:\n"
        f"  {hint.command(result.session_id)}\n"
        f"or reject it with a comment for the planner:\n"
        f"  {hint.command(result.session_id, '--reject')} --comment 'WHY'",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_WAITING)


def finish(console: Console, result: Outcome, out_dir: Path) -> None:
    """Print the summary and exit with the code of the session's status."""
    render_summary(console, result.values, out_dir / result.session_id)
    codes = {
        SessionStatus.DONE.value: EXIT_DONE,
        SessionStatus.REJECTED.value: EXIT_REJECTED,
    }
    raise typer.Exit(codes.get(result.status, EXIT_FAILED))
