"""``zdt run``: one migration as a session of the agent team, from a request (and/or SQL) to done.

The planner proposes, the gate checks, the plan is rehearsed on a copy and checked against the
application's queries, a person approves the plan's hash, then the executor applies it to production
with the monitor watching, and anything that goes wrong rolls back. Each agent, tool call and step is
shown live; the session is kept on disk and can be resumed from another process (``zdt resume``).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import typer
from rich.console import Console

from zdt.agents.brains import select_brain
from zdt.agents.brains.mode import BrainMode
from zdt.agents.errors import AgentError
from zdt.analysis.source import SqlSyntaxError
from zdt.cli.folder_input import FolderInput, read_folder_input
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
    finish,
    follow,
    session_context,
    session_graph,
    session_recorder,
)
from zdt.cli.session_render import SessionRenderer
from zdt.compat.corpus import CorpusError, corpus_queries, is_corpus_text, parse_corpus
from zdt.compat.queries import parse_queries
from zdt.db.urls import redact
from zdt.graph.checkpoint import describe_store, record_dir
from zdt.graph.context import DEFAULT_OUT
from zdt.graph.runner import initial_state, new_session_id
from zdt.graph.state import SessionRequest
from zdt.migrations import MigrationFolderError, MigrationHistoryError
from zdt.recipes.planner import joined_sql
from zdt.sessions.scratchpads import point_latest


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot read the {what} file {path}: {error}", EXIT_BAD_INPUT) from None


def _read_queries(path: Path | None) -> str | None:
    """A --queries / --new-queries file's text. A collected corpus (JSON) must be valid and SQL must
    parse: a bad file stops here, naming the file and the line, before any session starts (in the
    session a typo would only leave the check "unknown", far from its cause)."""
    text = _read(path, "queries")
    if path is None or text is None:
        return text
    if not is_corpus_text(text):
        try:
            parse_queries(text, source=str(path))
        except SqlSyntaxError as error:
            raise fail(f"cannot use the queries file: {error}", EXIT_BAD_INPUT) from None
        return text
    try:
        corpus_queries(parse_corpus(text, str(path)), str(path))
    except (CorpusError, SqlSyntaxError) as error:
        raise fail(f"cannot use the queries corpus: {error}", EXIT_BAD_INPUT) from None
    return text


def _pending_folder(path: Path | None, database_url: str) -> FolderInput | None:
    """A migrations folder given as --sql: its migrations still pending on the target (exit 0 if none)."""
    if path is None or not path.is_dir():
        return None
    try:
        folder = read_folder_input(path, database_url, None)
    except (MigrationFolderError, MigrationHistoryError, psycopg.Error) as error:
        raise fail(f"cannot read the migrations folder {path}: {error}", EXIT_BAD_INPUT) from None
    if not folder.migrations:
        typer.echo(f"nothing to run: {folder.summary()}")
        raise typer.Exit(0)
    typer.echo(folder.summary())
    return folder


def run_command(
    prompt: str = typer.Argument("", metavar="PROMPT", help="What to change, in words."),
    sql_file: Path | None = typer.Option(
        None,
        "--sql",
        metavar="FILE|DIR",
        help="The migration SQL, or a migrations folder (its pending ones).",
    ),
    queries_file: Path | None = typer.Option(
        None,
        "--queries",
        metavar="FILE",
        help="Application queries that must keep working (SQL, ';'-separated, or a corpus.json).",
    ),
    new_queries_file: Path | None = typer.Option(
        None,
        "--new-queries",
        metavar="FILE",
        help="The new release's queries (SQL or a corpus.json): checked after migrate, contract, rollback.",
    ),
    database_url: str = typer.Option(
        ..., "--database-url", envvar="ZDT_DATABASE_URL", help="The production database to migrate."
    ),
    staging_url: str | None = typer.Option(
        None,
        "--staging-url",
        envvar="ZDT_STAGING_URL",
        help="Rehearse here (default: a throwaway embedded PostgreSQL holding the target's schema).",
    ),
    brain_mode: BrainMode = typer.Option(
        BrainMode.AUTO, "--brain", help="auto (Claude when ANTHROPIC_API_KEY is set), claude or offline."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Approve the plan without asking (recorded as approved by LOGIN (--yes))."
    ),
    out: Path = typer.Option(
        DEFAULT_OUT, "--out", help="Scratchpads root; the session writes into OUT/<id>/."
    ),
    state_url: str | None = typer.Option(
        None,
        "--state-url",
        envvar="ZDT_STATE_URL",
        help="Keep sessions in PostgreSQL (or sqlite:///PATH) instead of .zdt/state.sqlite.",
    ),
    max_wal_rate: float | None = typer.Option(
        None, "--max-wal-rate", min=0.1, metavar="MB/S", help=MAX_WAL_RATE_HELP
    ),
    versioned_schemas: bool | None = typer.Option(
        None,
        "--versioned-schemas/--no-versioned-schemas",
        help="A schema of views per release, each with its own column names and types "
        "(default: on when the plan changes a column's type).",
    ),
    old_app_name: str | None = typer.Option(None, "--old-app-name", metavar="NAME", help=OLD_APP_HELP),
    observe_s: float | None = typer.Option(None, "--observe-seconds", min=0, help=OBSERVE_HELP),
    backup_confirmed: str = typer.Option("", "--backup-confirmed", metavar="TEXT", help=BACKUP_HELP),
    team_notified: str = typer.Option("", "--team-notified", metavar="TEXT", help=TEAM_HELP),
) -> None:
    """Run a migration session: plan, gate, rehearse, check compatibility, approve, execute, verify."""
    folder = _pending_folder(sql_file, database_url)
    sql = joined_sql(text for _, text in folder.sources) if folder else _read(sql_file, "SQL")
    queries = _read_queries(queries_file)
    new_queries = _read_queries(new_queries_file)
    if not prompt.strip() and not (sql and sql.strip()):
        raise fail("say what to change (PROMPT) or give the SQL (--sql FILE)", EXIT_BAD_INPUT)
    console = Console()
    renderer = SessionRenderer(console)
    session_id = new_session_id()
    request = SessionRequest(
        prompt=prompt.strip() or None,
        sql=sql,
        sql_source=str(sql_file) if sql_file else None,
        queries=queries,
        new_queries=new_queries,
        sources=folder.sources if folder else [],
        migrations=folder.planned if folder else [],
        versioned_schemas=versioned_schemas,
        target=redact(database_url),
        staging=redact(staging_url) if staging_url else "embedded",
    )
    hint = ResumeHint(
        database_url,
        staging_url,
        state_url,
        out,
        max_wal_rate,
        old_app_name,
        observe_s,
        backup_confirmed.strip(),
        team_notified.strip(),
    )
    recorder = session_recorder(hint, session_id)
    try:
        brain = select_brain(brain_mode, observers=[renderer.model_call, recorder.model_call])
    except (AgentError, ValueError) as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None
    context = session_context(hint, brain, recorder)
    recorder.session("run", brain=brain.name, request=request.model_dump(mode="json"))
    point_latest(out, session_id)
    console.print(
        f"session [bold]{session_id}[/] — brain: [bold]{brain.name}[/] — target {request.target} — "
        f"rehearsal on {request.staging} — scratchpads {out / session_id} — "
        f"state {describe_store(state_url)}",
        highlight=False,
        soft_wrap=True,
    )
    with session_graph(state_url) as graph:
        state = initial_state(session_id, brain.name, brain_mode, request)
        result = follow(graph, state, session_id, context, console, yes=yes, hint=hint, renderer=renderer)
    finish(console, result, out, record_dir(state_url))


run_command.__doc__ = f"{run_command.__doc__}\n\n{EXIT_CODES_HELP}"
