"""The ``zdt`` Typer application: one sub-command per module, wired here, each imported when it runs.

A command's module (and what it pulls in: psycopg, langgraph, anthropic, the monitor) is imported only
when that command runs, so ``zdt --version`` and ``zdt lint FILE`` start as fast as Python and typer
allow (``zdt/cli/lazy.py`` says how; ``benchmarks/startup.py`` measures it). A new command is one line
below: its name, where it is defined, and the summary ``zdt --help`` shows (its docstring's first line).
"""

from __future__ import annotations

import typer

from zdt.cli.lazy import LazyCommand, LazyGroup


class Commands(LazyGroup):
    lazy = (
        LazyCommand(
            "lint",
            "zdt.cli.lint:lint_command",
            "Analyse migration SQL: locks, rewrites, scans, what it blocks, and how to do it safely.",
        ),
        LazyCommand(
            "plan",
            "zdt.cli.plan:plan_command",
            "Plan a zero-downtime migration: expand / migrate / contract steps, each verified and "
            "reversible.",
        ),
        LazyCommand(
            "apply",
            "zdt.cli.apply:apply_command",
            "Apply a plan: each step under lock_timeout with retries, verified before the next one starts.",
        ),
        LazyCommand(
            "rollback",
            "zdt.cli.rollback:rollback_command",
            "Roll a migration back, last step first, then compare the schema with the one before it.",
        ),
        LazyCommand(
            "status",
            "zdt.cli.status:status_command",
            "Show every migration applied to a database: its stage (expanded, migrated, waiting for deploy, "
            "contracted, rolled back), steps, attempts, backfill progress.",
        ),
        LazyCommand(
            "run",
            "zdt.cli.run:run_command",
            "Run a migration session: plan, gate, rehearse, check compatibility, approve, execute, verify.",
        ),
        LazyCommand(
            "resume",
            "zdt.cli.resume:resume_command",
            "Resume a session: approve or reject the waiting plan, or continue a session that was "
            "interrupted.",
        ),
        LazyCommand(
            "sessions",
            "zdt.cli.sessions:sessions_command",
            "List the sessions in the store, with their status and any approval waiting.",
        ),
        LazyCommand(
            "watch",
            "zdt.cli.watch:watch_command",
            "Follow MIGRATION-PLAN.md, MIGRATION-LOG.md, APP-COMPATIBILITY.md and MIGRATION-MONITORING.md.",
        ),
        LazyCommand(
            "demo",
            "zdt.cli.demo:demo_command",
            "Run the seed's user_badges migration as a full session on an embedded example database.",
        ),
        LazyCommand(
            "audit",
            "zdt.cli.audit:audit_command",
            "Verify a session's hash-chained record, then summarise it.",
        ),
        LazyCommand(
            "queries",
            "zdt.cli.queries:queries_app",
            "The application's queries: collect them into one corpus (JSON) for --queries.",
        ),
    )


app = typer.Typer(
    name="zdt",
    help="Zero-downtime PostgreSQL schema migrations: analyse, plan, rehearse, execute, watch.",
    no_args_is_help=True,
    add_completion=False,
    cls=Commands,
)


def _print_version(value: bool) -> None:
    if value:
        from zdt import __version__  # importlib.metadata: only for --version

        typer.echo(f"zdt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """zdt: the LLM proposes, deterministic code disposes."""


def main() -> None:
    app()
