"""The ``zdt`` Typer application: one sub-command per module, wired here."""

from __future__ import annotations

import typer

from zdt import __version__
from zdt.cli.apply import apply_command
from zdt.cli.audit import audit_command
from zdt.cli.demo import demo_command
from zdt.cli.lint import lint_command
from zdt.cli.plan import plan_command
from zdt.cli.queries import queries_app
from zdt.cli.resume import resume_command
from zdt.cli.rollback import rollback_command
from zdt.cli.run import run_command
from zdt.cli.sessions import sessions_command
from zdt.cli.status import status_command
from zdt.cli.watch import watch_command

app = typer.Typer(
    name="zdt",
    help="Zero-downtime PostgreSQL schema migrations: analyse, plan, rehearse, execute, watch.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
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


app.command("lint")(lint_command)
app.command("plan")(plan_command)
app.command("apply")(apply_command)
app.command("rollback")(rollback_command)
app.command("status")(status_command)
app.command("run")(run_command)
app.command("resume")(resume_command)
app.command("sessions")(sessions_command)
app.command("watch")(watch_command)
app.command("demo")(demo_command)
app.command("audit")(audit_command)
app.add_typer(queries_app, name="queries")


def main() -> None:
    app()
