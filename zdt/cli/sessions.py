"""``zdt sessions``: every session in the store, its state, and the approvals waiting for someone.

Why: a session left waiting (no terminal, or a reviewer elsewhere) must be findable later, with the
plan and hash to review, without opening the store by hand.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from zdt.cli.session_flow import Graph, session_graph
from zdt.graph.checkpoint import thread_ids
from zdt.graph.runner import config_for, outcome


class SessionsFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def session_rows(graph: Graph) -> list[dict[str, Any]]:
    """One JSON-safe row per session, oldest first."""
    rows = []
    saver = graph.checkpointer
    assert saver is not None and not isinstance(saver, bool)
    for session_id in thread_ids(saver):
        current = outcome(graph, session_id)
        values = current.values
        if not values:
            continue
        request = values.get("request") or {}
        pending = current.pending
        rows.append(
            {
                "id": session_id,
                "status": values.get("status"),
                "created_at": values.get("created_at"),
                "target": request.get("target"),
                "staging": request.get("staging"),
                "brain": values.get("brain"),
                "next": list(graph.get_state(config_for(session_id)).next),
                "pending_approval": (
                    {"plan_id": pending.get("plan_id"), "plan_hash": pending.get("plan_hash")}
                    if pending
                    else None
                ),
                "error": values.get("error"),
                "record_head": values.get("record_head"),
            }
        )
    return sorted(rows, key=lambda row: (str(row["created_at"]), row["id"]))


def sessions_command(
    output_format: SessionsFormat = typer.Option(SessionsFormat.TEXT, "--format", help="text or json."),
    state_url: str | None = typer.Option(None, "--state-url", envvar="ZDT_STATE_URL"),
) -> None:
    """List the sessions in the store, with their status and any approval waiting."""
    with session_graph(state_url) as graph:
        rows = session_rows(graph)
    if output_format is SessionsFormat.JSON:
        typer.echo(json.dumps({"sessions": rows}, indent=2))
        raise typer.Exit(0)
    console = Console()
    if not rows:
        console.print("no sessions yet", highlight=False)
        raise typer.Exit(0)
    table = Table("session", "status", "started", "target", "waiting for", "record head")
    for row in rows:
        pending = row["pending_approval"]
        waiting = f"approval of {pending['plan_id']} ({str(pending['plan_hash'])[:12]})" if pending else ""
        head = str(row["record_head"] or "")[:16]
        table.add_row(
            row["id"], str(row["status"]), str(row["created_at"]), str(row["target"]), waiting, head
        )
    console.print(table)
