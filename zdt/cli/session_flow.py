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
from zdt.cli.session_render import SessionRenderer, render_approval, render_deploy_gate, render_summary
from zdt.config import ConfigError, load_config
from zdt.executor import ExecutorSettings
from zdt.graph.build import build_graph
from zdt.graph.checkpoint import StateStoreError, open_checkpointer, record_dir
from zdt.graph.context import DEFAULT_OUT, RolloutSettings, SessionContext, SessionSettings
from zdt.graph.extra import discover_extra_nodes
from zdt.graph.runner import Outcome, contract_decision, decision, drive
from zdt.graph.state import SessionStatus
from zdt.record.log import log_path, read_events
from zdt.record.prices import price_table
from zdt.record.recorder import Recorder
from zdt.record.redact import Redactor
from zdt.record.summary import build_summary
from zdt.record.verify import verify_log

EXIT_DONE = 0
EXIT_FAILED = 1  # failed, or rolled back: the message says which and why
EXIT_BAD_INPUT = 2
EXIT_WAITING = 3  # waiting for an approval (nothing done in production) or at the deploy gate
EXIT_REJECTED = 5
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 failed or rolled back (the summary says which); 2 bad input; 3 waiting for an "
    "approval (production untouched) or at the deploy gate (expand and migrate done, contract waits for the "
    "old release to be gone); the exact `zdt resume` command is printed; 5 rejected; "
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


OLD_APP_HELP = (
    "The old release's application_name: while a session of that name is connected, contract waits."
)
OBSERVE_HELP = "Seconds the deploy gate watches pg_stat_statements for the old release's statements."
BACKUP_HELP = (
    "Your word that a data backup of the target exists (which, where): recorded with the approval, "
    "it ticks the checklists' backup item (zdt keeps a schema snapshot, never the data)."
)
TEAM_HELP = "Your word that the team was told: recorded with the approval, it ticks the checklists' item."


def session_settings(max_wal_rate: float | None, rollout: RolloutSettings | None = None) -> SessionSettings:
    """The session's settings from the CLI options that tune the executor and the deploy gate."""
    wal = int(max_wal_rate * 1_000_000) if max_wal_rate else None
    return SessionSettings(
        executor=ExecutorSettings(max_wal_bytes_per_s=wal), rollout=rollout or RolloutSettings()
    )


def session_context(hint: ResumeHint, brain: Brain, recorder: Recorder | None = None) -> SessionContext:
    """The session's runtime context from the options the resume command repeats, so they cannot drift."""
    return SessionContext(
        target_url=hint.database_url,
        brain=brain,
        staging_url=hint.staging_url,
        out_dir=hint.out_dir,
        settings=session_settings(hint.max_wal_rate, hint.rollout()),
        recorder=recorder,
    )


def session_recorder(hint: ResumeHint, session_id: str) -> Recorder:
    """The session's record (``.zdt/sessions/<id>/events.jsonl`` beside the checkpoints), continued if it
    exists; redacting the passwords of every URL this process was given, the API key, and the columns
    the configuration file marks sensitive; pricing model calls with its ``[prices]``."""
    try:
        config = load_config()
        prices = price_table(config.prices)
    except ConfigError as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None
    redactor = Redactor(
        urls=[hint.database_url, hint.staging_url, hint.state_url],
        sensitive_columns=config.record.sensitive_columns,
    )
    recorder = Recorder.open(record_dir(hint.state_url), session_id, redactor, prices)
    if recorder.log.count:  # a session taken up again: say so now if its record was tampered with
        report = verify_log(recorder.path)
        if not report.ok:
            Console(stderr=True).print(
                f"[bold red]the record of session {session_id} fails verification: {report.problem}; "
                "new events continue its chain from its last event[/]",
                highlight=False,
            )
    return recorder


def print_record_head(console: Console, values: dict[str, Any], sessions_dir: Path | None = None) -> None:
    """The record's head hash as the checkpoint has it (what an auditor compares the log against), and
    the session's model tokens and cost so far, per agent, from the record in ``sessions_dir``."""
    head, session_id = values.get("record_head"), values.get("session_id")
    if not head:
        return
    console.print(f"record head {head} (verify with `zdt audit {session_id}`)", highlight=False)
    path = log_path(sessions_dir, str(session_id)) if sessions_dir is not None else None
    if path is None or not path.is_file():
        return
    report = verify_log(path)
    if not report.ok:
        console.print(
            f"[bold red]the session's record fails verification: {report.problem}[/]", highlight=False
        )
        return
    summary = build_summary(report, read_events(path))
    total = summary.total
    if not total.model_calls:
        console.print("no model calls (the offline brain ran every agent)", highlight=False)
        return
    per_agent = ", ".join(
        f"{usage.agent} ${usage.cost_usd:.4f}" for usage in summary.agents if usage.model_calls
    )
    unpriced = f", {total.unpriced_calls} calls of unpriced models" if total.unpriced_calls else ""
    console.print(
        f"model calls {total.model_calls}: {total.input_tokens} tokens in, {total.output_tokens} out, "
        f"{total.cache_read_input_tokens} cache reads; cost ${total.cost_usd:.4f} ({per_agent}){unpriced}",
        highlight=False,
        soft_wrap=True,
    )


@dataclass(frozen=True)
class ResumeHint:
    """How to name this session's connections again on the command line, without printing a password."""

    database_url: str
    staging_url: str | None = None
    state_url: str | None = None
    out_dir: Path = DEFAULT_OUT
    max_wal_rate: float | None = None  # MB/s, see session_settings
    old_app_name: str | None = None  # see RolloutSettings
    observe_s: float | None = None
    backup_confirmed: str = ""  # the operator's word, given with the next approval (see Approval)
    team_notified: str = ""

    def rollout(self) -> RolloutSettings:
        defaults = RolloutSettings()
        return RolloutSettings(
            old_application_name=self.old_app_name,
            observe_s=defaults.observe_s if self.observe_s is None else self.observe_s,
        )

    def command(self, session_id: str, action: str = "--approve") -> str:
        parts = ["zdt", "resume", session_id, *action.split()]
        parts += ["--database-url", self._url(self.database_url, "DATABASE")]
        if self.staging_url:
            parts += ["--staging-url", self._url(self.staging_url, "STAGING")]
        if self.state_url:
            parts += ["--state-url", self._url(self.state_url, "STATE")]
        if self.out_dir != DEFAULT_OUT:
            parts += ["--out", str(self.out_dir)]
        if self.max_wal_rate:
            parts += ["--max-wal-rate", f"{self.max_wal_rate:g}"]
        if self.old_app_name:
            parts += ["--old-app-name", self.old_app_name]
        if self.observe_s is not None:
            parts += ["--observe-seconds", f"{self.observe_s:g}"]
        approving = "--approve" in action.split()
        if self.backup_confirmed and approving:
            parts += ["--backup-confirmed", self.backup_confirmed]
        if self.team_notified and approving:
            parts += ["--team-notified", self.team_notified]
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
    approve_contract: bool = False,
) -> Outcome:
    """Drive the session until it ends, asking at each gate (or leaving it waiting: exit 3).

    ``yes`` approves plans, never a contract; only ``approve_contract`` (the demo, visibly) does that.
    """
    render = renderer or SessionRenderer(console)
    try:
        result = drive(graph, payload, session_id, context, render)
        while result.pending is not None:
            answer = ask(result, console, yes, hint, approve_contract=approve_contract)
            result = drive(graph, answer, session_id, context, render)
    except KeyboardInterrupt:
        console.print(
            f"\ninterrupted. The session is saved; continue it with:\n  {hint.command(session_id, '')}",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return result


def ask(
    result: Outcome, console: Console, yes: bool, hint: ResumeHint, *, approve_contract: bool = False
) -> Any:
    """The decision on the pending gate: --yes, a person at the terminal, or exit 3 waiting."""
    assert result.pending is not None
    if result.at_deploy_gate:
        answer = _decide_contract(result.pending, console, yes, approve_contract, hint)
        if answer is None:
            _leave_at_deploy_gate(result, console, hint)
        return answer
    answer = _decide(result.pending, console, yes, hint)
    if answer is None:
        _leave_waiting(result, console, hint)
    return answer


def _decide_contract(
    pending: dict[str, Any], console: Console, yes: bool, approve_contract: bool, hint: ResumeHint
) -> Any:
    """The demo's automatic yes is given once: a gate that comes back (refused, failed) waits for a person."""
    if approve_contract and not (pending.get("evidence") or pending.get("error")):
        console.print(
            f"[bold yellow]demo: approving the contract of plan {pending.get('plan_id')} without asking "
            "(the demo has no old release running; a real session waits here for one to be gone)[/]",
            highlight=False,
        )
        return contract_decision(
            True,
            pending,
            f"{getpass.getuser()} (demo)",
            backup_confirmed=hint.backup_confirmed,
            team_notified=hint.team_notified,
        )
    if yes:
        console.print(
            "[bold yellow]--yes approves plans, never a contract: the session stops at the deploy gate[/]",
            highlight=False,
        )
        return None
    if not sys.stdin.isatty():
        return None
    render_deploy_gate(console, pending)
    if typer.confirm("Is the new release deployed and the old one gone? Run the contract?", default=False):
        return contract_decision(
            True,
            pending,
            getpass.getuser(),
            backup_confirmed=hint.backup_confirmed,
            team_notified=hint.team_notified,
        )
    return None


def _leave_at_deploy_gate(result: Outcome, console: Console, hint: ResumeHint) -> None:
    pending = result.pending or {}
    render_deploy_gate(console, pending)
    print_record_head(console, result.values, record_dir(hint.state_url))
    console.print(
        f"\nSession {result.session_id} is at the deploy gate: expand and migrate are done and verified; "
        "the old and the new release both work. Deploy the new release, stop the old one, then run:\n"
        f"  {hint.command(result.session_id, '--contract --approve')}\n"
        "or roll back now (nothing was removed, the rollback is complete):\n"
        f"  {hint.command(result.session_id, '--contract --reject')} --comment 'WHY'",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_WAITING)


def _decide(pending: dict[str, Any], console: Console, yes: bool, hint: ResumeHint) -> Any:
    plan_hash = str(pending["plan_hash"])
    if yes:
        console.print(
            f"[bold yellow]--yes: approving plan {pending.get('plan_id')} (hash {plan_hash[:12]}) "
            "without asking[/]",
            highlight=False,
        )
        return decision(
            True,
            plan_hash,
            f"{getpass.getuser()} (--yes)",
            backup_confirmed=hint.backup_confirmed,
            team_notified=hint.team_notified,
        )
    if not sys.stdin.isatty():
        return None
    render_approval(console, pending)
    if typer.confirm(f"Approve plan {pending.get('plan_id')} (hash {plan_hash[:12]})?", default=False):
        return decision(
            True,
            plan_hash,
            getpass.getuser(),
            backup_confirmed=hint.backup_confirmed,
            team_notified=hint.team_notified,
        )
    comment = typer.prompt("Why not? (the planner revises the plan; empty: end the session)", default="")
    return decision(False, plan_hash, getpass.getuser(), comment)


def _leave_waiting(result: Outcome, console: Console, hint: ResumeHint) -> None:
    pending = result.pending or {}
    print_record_head(console, result.values, record_dir(hint.state_url))
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


def finish(console: Console, result: Outcome, out_dir: Path, sessions_dir: Path | None = None) -> None:
    """Print the summary (and the record's head, tokens and cost: ``sessions_dir``) and exit with the code
    of the session's status."""
    render_summary(console, result.values, out_dir / result.session_id)
    print_record_head(console, result.values, sessions_dir)
    codes = {
        SessionStatus.DONE.value: EXIT_DONE,
        SessionStatus.REJECTED.value: EXIT_REJECTED,
    }
    raise typer.Exit(codes.get(result.status, EXIT_FAILED))
