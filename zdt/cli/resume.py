"""``zdt resume SESSION``: decide on a waiting session, or continue one that stopped, from any process.

The connection strings are not in the session store (it is a file anyone with the folder can read), so
they are supplied again; the target must be the one the session was started for — compared by its
redacted form, which is what the session recorded. ``--approve`` approves the plan that is waiting (its
hash is what gets recorded; ``--plan-hash`` makes sure it is the one you reviewed). At the deploy gate
the decision is about contract and says so: ``--contract --approve`` (the old release is gone; zdt checks
it on the target), ``--contract --reject`` (roll back), ``--old-release-gone`` (the operator's word when
the target cannot show it), ``--force-contract REASON`` (despite the evidence, recorded). With an
approval, ``--backup-confirmed TEXT`` and ``--team-notified TEXT`` record the operator's word on what zdt
cannot check, which ticks those items of the checklists (who and when come with the approval).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console

from zdt.agents.brains import select_brain
from zdt.agents.brains.mode import BrainMode
from zdt.agents.errors import AgentError
from zdt.cli.run_guard import fail
from zdt.cli.session_flow import (
    BACKUP_HELP,
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    MAX_WAL_RATE_HELP,
    OBSERVE_HELP,
    OLD_APP_HELP,
    TEAM_HELP,
    ResumeHint,
    ask,
    finish,
    follow,
    session_context,
    session_graph,
    session_recorder,
)
from zdt.cli.session_render import SessionRenderer
from zdt.db.urls import redact
from zdt.graph.checkpoint import record_dir
from zdt.graph.context import DEFAULT_OUT
from zdt.graph.runner import Outcome, contract_decision, decision, outcome
from zdt.graph.state import FINAL_STATUSES


def _check_connections(current: Outcome, database_url: str, staging_url: str | None) -> None:
    request = current.values.get("request") or {}
    if redact(database_url) != request.get("target"):
        raise fail(
            f"session {current.session_id} migrates {request.get('target')}, not {redact(database_url)}",
            EXIT_BAD_INPUT,
        )
    staging = request.get("staging")
    if staging != "embedded" and staging_url is None:
        raise fail(
            f"session {current.session_id} rehearses on {staging}: pass --staging-url again", EXIT_BAD_INPUT
        )
    if staging_url is not None and redact(staging_url) != staging:
        raise fail(
            f"session {current.session_id} rehearses on {staging}, not {redact(staging_url)}", EXIT_BAD_INPUT
        )


def resume_command(
    session_id: str = typer.Argument(..., metavar="SESSION", help="The session id (see `zdt sessions`)."),
    approve: bool = typer.Option(False, "--approve", help="Approve the plan waiting for approval."),
    reject: bool = typer.Option(
        False, "--reject", help="Reject it (with --comment: the planner revises it)."
    ),
    by: str | None = typer.Option(None, "--by", help="Who decides (default: the login name)."),
    comment: str = typer.Option(
        "", "--comment", help="Why: with --reject it becomes a finding for the planner."
    ),
    plan_hash: str | None = typer.Option(
        None,
        "--plan-hash",
        metavar="PREFIX",
        help="Refuse unless the waiting plan's hash starts with PREFIX.",
    ),
    database_url: str = typer.Option(
        ..., "--database-url", envvar="ZDT_DATABASE_URL", help="The session's target, supplied again."
    ),
    staging_url: str | None = typer.Option(None, "--staging-url", envvar="ZDT_STAGING_URL"),
    brain_mode: BrainMode | None = typer.Option(None, "--brain", help="Default: the session's own choice."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Approve later plans of this session without asking."
    ),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="The scratchpads root the session was started with."),
    state_url: str | None = typer.Option(None, "--state-url", envvar="ZDT_STATE_URL"),
    max_wal_rate: float | None = typer.Option(
        None, "--max-wal-rate", min=0.1, metavar="MB/S", help=MAX_WAL_RATE_HELP
    ),
    contract: bool = typer.Option(
        False,
        "--contract",
        help="The decision is the contract's, at the deploy gate (with --approve/--reject).",
    ),
    old_release_gone: bool = typer.Option(
        False,
        "--old-release-gone",
        help="Your word that the old release is gone, when the target cannot show it.",
    ),
    force_contract: str | None = typer.Option(
        None,
        "--force-contract",
        metavar="REASON",
        help="Contract despite the evidence; the reason is logged.",
    ),
    old_app_name: str | None = typer.Option(None, "--old-app-name", metavar="NAME", help=OLD_APP_HELP),
    observe_s: float | None = typer.Option(None, "--observe-seconds", min=0, help=OBSERVE_HELP),
    backup_confirmed: str = typer.Option("", "--backup-confirmed", metavar="TEXT", help=BACKUP_HELP),
    team_notified: str = typer.Option("", "--team-notified", metavar="TEXT", help=TEAM_HELP),
) -> None:
    """Resume a session: approve or reject the waiting plan, or continue a session that was interrupted."""
    if approve and reject:
        raise fail("--approve or --reject, not both", EXIT_BAD_INPUT)
    if (old_release_gone or force_contract) and not contract:
        raise fail(
            "--old-release-gone and --force-contract answer the deploy gate: add --contract", EXIT_BAD_INPUT
        )
    if force_contract is not None and not force_contract.strip():
        raise fail("--force-contract needs a reason, recorded in the log", EXIT_BAD_INPUT)
    approve = approve or force_contract is not None
    backup_confirmed, team_notified = backup_confirmed.strip(), team_notified.strip()
    if (backup_confirmed or team_notified) and not (approve or yes):
        raise fail(
            "--backup-confirmed and --team-notified are recorded with an approval: add --approve "
            "(or --contract --approve at the deploy gate)",
            EXIT_BAD_INPUT,
        )
    console = Console()
    renderer = SessionRenderer(console)
    hint = ResumeHint(
        database_url,
        staging_url,
        state_url,
        out,
        max_wal_rate,
        old_app_name,
        observe_s,
        backup_confirmed,
        team_notified,
    )
    with session_graph(state_url) as graph:
        current = outcome(graph, session_id)
        if not current.values:
            raise fail(f"no session {session_id} in the session store", EXIT_BAD_INPUT)
        _check_connections(current, database_url, staging_url)
        if not current.waiting and current.status in FINAL_STATUSES:
            console.print(f"session {session_id} has already ended: {current.status}", highlight=False)
            finish(console, current, out, record_dir(state_url))
        recorder = session_recorder(hint, session_id)
        try:
            chosen = brain_mode or BrainMode(current.values.get("brain_mode", BrainMode.AUTO))
            brain = select_brain(chosen, observers=[renderer.model_call, recorder.model_call])
        except (AgentError, ValueError) as error:
            raise fail(str(error), EXIT_BAD_INPUT) from None
        console.print(f"session [bold]{session_id}[/] — brain: [bold]{brain.name}[/]", highlight=False)
        context = session_context(hint, brain, recorder)
        action = ("--contract " if contract else "") + (
            "--approve" if approve else "--reject" if reject else ""
        )
        recorder.session("resume", brain=brain.name, options=action.strip(), by=by or getpass.getuser())
        payload = None
        if current.pending is not None:
            pending_hash = str(current.pending["plan_hash"])
            if plan_hash and not pending_hash.startswith(plan_hash):
                raise fail(f"the waiting plan's hash is {pending_hash[:12]}, not {plan_hash}", EXIT_BAD_INPUT)
            if (approve or reject) and contract != current.at_deploy_gate:
                raise fail(_wrong_gate(session_id, current.at_deploy_gate), EXIT_BAD_INPUT)
            who = by or getpass.getuser()
            if (approve or reject) and contract:
                payload = contract_decision(
                    approve,
                    current.pending,
                    who,
                    comment,
                    old_release_gone=old_release_gone,
                    force_reason=(force_contract or "").strip(),
                    backup_confirmed=backup_confirmed,
                    team_notified=team_notified,
                )
            elif approve or reject:
                payload = decision(
                    approve,
                    pending_hash,
                    who,
                    comment,
                    backup_confirmed=backup_confirmed,
                    team_notified=team_notified,
                )
            else:
                payload = ask(current, console, yes, hint)
        elif approve or reject:
            raise fail(
                f"session {session_id} is not waiting for an approval ({current.status})", EXIT_BAD_INPUT
            )
        result = follow(graph, payload, session_id, context, console, yes=yes, hint=hint, renderer=renderer)
    finish(console, result, out, record_dir(state_url))


def _wrong_gate(session_id: str, at_deploy_gate: bool) -> str:
    if at_deploy_gate:
        return (
            f"session {session_id} is at the deploy gate: the decision is about contract; "
            "say so with --contract (--contract --approve, or --contract --reject to roll back)"
        )
    return f"session {session_id} waits for the approval of its plan, not at the deploy gate: drop --contract"


resume_command.__doc__ = f"{resume_command.__doc__}\n\n{EXIT_CODES_HELP}"
