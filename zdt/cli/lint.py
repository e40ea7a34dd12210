"""``zdt lint``: analyse migration SQL and say what each statement will do to a live database."""

from __future__ import annotations

import typer

from zdt.analysis import analyse_sql


def lint_command(
    path: str = typer.Argument(..., help="SQL file, directory of .sql files, or - for stdin."),
) -> None:
    """Analyse migration SQL (placeholder until the analyser lands)."""
    with open(path) as handle:
        for report in analyse_sql(handle.read(), source=path):
            typer.echo(f"{report.line}: {report.kind}")
