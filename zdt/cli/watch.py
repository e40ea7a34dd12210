"""``zdt watch [SESSION]``: follow a session's plan, log, compatibility and monitoring documents live."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from zdt.cli.failure import EXIT_BAD_INPUT, fail
from zdt.cli.watch_render import ScratchpadFollower, follow_live, show_once
from zdt.sessions.scratchpads import DEFAULT_OUT, WATCHED, latest_session


def watch_command(
    session: str | None = typer.Argument(None, metavar="[SESSION]", help="Default: the newest session."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="The scratchpads root."),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0, metavar="SECONDS", help="Stop after this long (default: at Ctrl-C)."
    ),
    once: bool = typer.Option(False, "--once", help="Show the documents as they are now and exit."),
) -> None:
    """Follow MIGRATION-PLAN.md, MIGRATION-LOG.md, APP-COMPATIBILITY.md and MIGRATION-MONITORING.md."""
    session_id = session or latest_session(out)
    if session_id is None:
        raise fail(f"no session in {out} yet: start one with `zdt run` or `zdt demo`", EXIT_BAD_INPUT)
    folder = out / session_id
    if not folder.is_dir():
        raise fail(f"no scratchpads for session {session_id} in {out}", EXIT_BAD_INPUT)
    console = Console()
    follower = ScratchpadFollower(folder, WATCHED)
    console.print(f"session [bold]{session_id}[/]: {folder}", highlight=False)
    if once:
        show_once(console, follower)
    else:
        follow_live(console, follower, timeout)
