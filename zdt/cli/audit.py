"""``zdt audit SESSION``: verify a session's record, then say what happened in it.

The chain is checked first: a changed, removed, inserted or reordered event is named by its number and
the command exits 1 before showing anything built from the log. Then the summary (zdt.record.summary):
the timeline of nodes, the plan hash approved, every statement sent to production with its step, lock,
duration and lock wait, the decisions with who and when, the monitor's verdicts, and tokens and cost per
agent. When the session store holds the session, the record head its checkpoint kept is compared with
the log's (a log cut short after the last checkpoint's event is caught there).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zdt.cli.run_guard import fail
from zdt.cli.session_flow import EXIT_BAD_INPUT, session_graph
from zdt.graph.checkpoint import record_dir
from zdt.graph.runner import outcome
from zdt.record.events import LOG_FILE
from zdt.record.log import read_events
from zdt.record.summary import AuditSummary, build_summary
from zdt.record.verify import verify_log

EXIT_OK = 0
EXIT_TAMPERED = 1


class AuditFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def resolve_log(session: str, sessions_dir: Path) -> Path:
    """SESSION as a session id (under ``sessions_dir``), a session folder, or an events.jsonl file."""
    given = Path(session)
    for candidate in (given, given / LOG_FILE, sessions_dir / session / LOG_FILE):
        if candidate.is_file():
            return candidate
    raise fail(f"no record of session {session} (looked in {sessions_dir / session})", EXIT_BAD_INPUT)


def _checkpoint_head(session_id: str, state_url: str | None) -> str | None:
    """The record head the session store's checkpoint holds, if the store has the session."""
    if state_url is None and not Path(".zdt/state.sqlite").exists():
        return None
    with session_graph(state_url) as graph:
        values = outcome(graph, session_id).values
    head = values.get("record_head")
    return str(head) if head else None


def audit_command(
    session: str = typer.Argument(
        ..., metavar="SESSION", help="Session id, its folder, or its events.jsonl."
    ),
    output_format: AuditFormat = typer.Option(AuditFormat.TEXT, "--format", help="text or json."),
    sessions_dir: Path | None = typer.Option(
        None, "--sessions-dir", metavar="DIR", help="Where the records are (default: beside the store)."
    ),
    state_url: str | None = typer.Option(
        None,
        "--state-url",
        envvar="ZDT_STATE_URL",
        help="The session store: its checkpoint's record head must be in the log.",
    ),
    no_store: bool = typer.Option(False, "--no-store", help="Do not compare with the session store."),
) -> None:
    """Verify a session's hash-chained record, then summarise it.

    Exit codes: 0 the record verifies; 1 it was tampered with (the first changed, removed, inserted or
    reordered event is named, or the store's head is missing from it); 2 no such record.
    """
    path = resolve_log(session, sessions_dir or record_dir(state_url))
    report = verify_log(path)
    if not report.ok:
        assert report.problem is not None
        if output_format is AuditFormat.JSON:
            problem = report.problem
            typer.echo(
                json.dumps(
                    {
                        "log": str(path),
                        "chain_ok": False,
                        "verified_events": report.events,
                        "problem": {
                            "event": problem.event,
                            "line": problem.line,
                            "what": problem.what,
                            "message": str(problem),
                        },
                    },
                    indent=2,
                )
            )
        else:
            typer.echo(f"{path}: the record was tampered with: {report.problem}", err=True)
        raise typer.Exit(EXIT_TAMPERED)
    summary = build_summary(report, read_events(path))
    if not no_store and summary.session_id:
        summary.checkpoint_head = _checkpoint_head(summary.session_id, state_url)
        if summary.checkpoint_head is not None:
            ids = {event.hash for event in read_events(path)}
            summary.checkpoint_matches = summary.checkpoint_head in ids
    if summary.checkpoint_matches is False:
        message = (
            f"the session store's record head {summary.checkpoint_head} is not in {path}: events were removed"
        )
        if output_format is AuditFormat.JSON:
            typer.echo(
                json.dumps(summary.model_dump(mode="json") | {"problem": {"message": message}}, indent=2)
            )
        else:
            typer.echo(message, err=True)
        raise typer.Exit(EXIT_TAMPERED)
    if output_format is AuditFormat.JSON:
        typer.echo(json.dumps(summary.model_dump(mode="json"), indent=2))
        raise typer.Exit(EXIT_OK)
    render_audit(Console(), summary)
    raise typer.Exit(EXIT_OK)


def render_audit(console: Console, summary: AuditSummary) -> None:
    """The summary as text: chain, timeline, gate and decisions, production statements, monitor, cost."""
    stored = ""
    if summary.checkpoint_matches:
        stored = " — the session store's checkpoint holds this head"
    console.print(
        f"[bold]session {summary.session_id}[/]: chain verified, {summary.events} events, head {summary.head}"
        f"{stored}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"from {summary.started_at} to {summary.ended_at}; brain {', '.join(summary.brains) or '?'}; "
        f"zdt {', '.join(summary.zdt_versions) or '?'}",
        highlight=False,
    )
    timeline = Table("event", "node", "started", "finished", "route", "changed", title="timeline")
    for step in summary.timeline:
        route = "waiting for a person" if step.waiting else (step.raised or step.route or "")
        timeline.add_row(
            str(step.event),
            step.node,
            step.started_at,
            step.finished_at or "",
            escape(route),
            ", ".join(step.changed),
        )
    console.print(timeline)
    for gate in summary.gate:
        result = f"passed, plan {gate.plan_id} hash {gate.plan_hash}" if gate.passed else "problems"
        console.print(f"gate (event {gate.event}): {result}", highlight=False, soft_wrap=True)
        for finding in gate.findings:
            console.print(f"  - {escape(finding)}", highlight=False)
    console.print(f"plan hash approved: {summary.approved_plan_hash or 'none'}", highlight=False)
    decisions = Table("event", "gate", "decision", "by", "at", "plan hash", "comment", title="decisions")
    for decision in summary.decisions:
        decisions.add_row(
            str(decision.event),
            decision.phase,
            "approved" if decision.approved else "rejected",
            escape(decision.by),
            decision.at,
            decision.plan_hash[:12],
            escape(decision.comment or decision.force_reason),
        )
    console.print(decisions)
    statements = Table(
        "event",
        "step",
        "lock",
        "ms",
        "lock wait ms",
        "rows",
        "outcome",
        "statement",
        title="statements in production",
    )
    in_steps = [statement for statement in summary.production_statements if statement.step_id]
    for statement in in_steps:
        statements.add_row(
            str(statement.event),
            statement.step_id or "",
            statement.lock or "",
            f"{statement.duration_ms:.1f}",
            f"{statement.lock_wait_ms:.1f}" if statement.lock_wait_ms is not None else "",
            "" if statement.rows is None else str(statement.rows),
            statement.outcome,
            escape(" ".join(statement.sql.split())[:120]),
        )
    console.print(statements)
    others = len(summary.production_statements) - len(in_steps)
    if others:
        console.print(
            f"and {others} statements outside the plan's steps (the executor's bookkeeping, schema reads): "
            "`--format json` lists every one",
            highlight=False,
        )
    counts = ", ".join(f"{env}: {count}" for env, count in sorted(summary.statements_by_environment.items()))
    console.print(f"statements sent: {counts or 'none'}", highlight=False)
    for watched in summary.monitor:
        console.print(
            f"monitor ({watched.run or '?'}, event {watched.event}): {watched.level}, "
            f"{watched.samples} samples, {watched.pauses} pauses, {len(watched.alarms)} alarms",
            highlight=False,
        )
    for rollback in summary.rollbacks:
        restored = "schema restored" if rollback.ok else "NOT restored"
        console.print(
            f"rollback (event {rollback.event}, {rollback.at}): {restored}, "
            f"{rollback.steps_undone} steps undone; after: {escape(rollback.failure or '?')}; "
            f"{escape(rollback.message)}",
            highlight=False,
            soft_wrap=True,
        )
    usage = Table(
        "agent",
        "model calls",
        "tool calls",
        "input",
        "output",
        "cache write",
        "cache read",
        "cost USD",
        title="tokens and cost",
    )
    for row in [*summary.agents, summary.total]:
        cost = f"{row.cost_usd:.6f}" + (f" (+{row.unpriced_calls} unpriced)" if row.unpriced_calls else "")
        usage.add_row(
            row.agent,
            str(row.model_calls),
            str(row.tool_calls),
            str(row.input_tokens),
            str(row.output_tokens),
            str(row.cache_creation_input_tokens),
            str(row.cache_read_input_tokens),
            cost,
        )
    console.print(usage)
