"""``zdt lint``: analyse migration SQL and say what each statement will do to a live database.

Exit codes: 0 no error finding, 1 at least one error finding, 2 bad input (unreadable file, unparseable
SQL, unreachable database).

Linting files without a database imports neither psycopg nor anything that runs SQL (a pre-commit hook
starts ``zdt lint`` once per commit, a CI job once per file at worst): the database and ``--trace``
paths import what they need when they are taken.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from zdt.analysis.analyser import analyse_script, new_state
from zdt.analysis.model import Severity, StatementReport
from zdt.analysis.source import SqlSyntaxError
from zdt.analysis.state import SmallTable
from zdt.cli.lint_changed import ChangedFilesError, changed_files
from zdt.cli.lint_render import render_text
from zdt.cli.reporters import REPORTERS, LintedFile, LintRun, to_json
from zdt.config import Config, ConfigError, LintFormat, load_config

if TYPE_CHECKING:
    from zdt.cli.lint_trace import StatementTrace
    from zdt.schema.snapshot import SchemaSnapshot

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

__all__ = [
    "LintInputError",
    "OutputFormat",
    "collect_all",
    "collect_sources",
    "has_errors",
    "lint_command",
    "lint_sources",
    "load_snapshot",
    "to_json",
]


OutputFormat = LintFormat  # the names are the config file's too


class LintInputError(Exception):
    """Input zdt cannot analyse; the message says what and where."""


def collect_sources(target: str) -> list[tuple[str, str]]:
    """(name, text) of every script to lint: a file, a migrations folder (its tool's order), or stdin."""
    if target == "-":
        return [("<stdin>", sys.stdin.read())]
    path = Path(target)
    if path.is_dir():
        return folder_sources(path)
    if path.is_file():
        files = [path]
    else:
        raise LintInputError(f"{target}: no such file or directory")
    sources = []
    for file in files:
        try:
            sources.append((str(file), file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            raise LintInputError(f"{file}: cannot read: {error}") from error
    return sources


def folder_sources(path: Path) -> list[tuple[str, str]]:
    """A migrations folder read the way its tool reads it: forward parts only, in the tool's order.

    Down migrations are never applied forward, so they are not linted as if they were. Each part keeps
    its line numbers in the file (a dbmate up section starts below its marker).
    """
    from zdt.migrations import MigrationFolderError, read_folder  # every tool's format: folders only

    try:
        folder = read_folder(path)
    except MigrationFolderError as error:
        raise LintInputError(str(error)) from error
    if not folder.migrations:
        raise LintInputError(f"{path}: no migrations in this directory")
    sources = []
    for migration in folder.migrations:
        try:
            text = migration.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LintInputError(f"{migration.path}: cannot read: {error}") from error
        offset = text.find(migration.sql) if migration.sql else -1
        padding = "\n" * text[:offset].count("\n") if offset > 0 else ""
        sources.append((str(migration.path), padding + migration.sql))
    return sources


def collect_all(targets: list[str]) -> list[tuple[str, str]]:
    """Every target's scripts in the order given (a folder's in name order), each file once."""
    sources: list[tuple[str, str]] = []
    seen: set[str] = set()
    for target in targets:
        for name, text in collect_sources(target):
            key = name if name == "<stdin>" else str(Path(name).resolve())
            if key not in seen:
                seen.add(key)
                sources.append((name, text))
    return sources


def only_changed(
    sources: list[tuple[str, str]], targets: list[str], ref: str
) -> tuple[list[tuple[str, str]], set[str]]:
    """The scripts to read (the changed ones and every one before them, as context) and those to report."""
    if "-" in targets:
        raise LintInputError("--changed-since cannot be used with - (stdin)")
    try:
        changed = changed_files([Path(target) for target in targets], ref)
    except ChangedFilesError as error:
        raise LintInputError(str(error)) from error
    reported = {name for name, _ in sources if Path(name).resolve() in changed}
    last = max((i for i, (name, _) in enumerate(sources) if name in reported), default=-1)
    return sources[: last + 1], reported


def load_snapshot(database_url: str) -> SchemaSnapshot:
    import psycopg  # only when there is a database to read

    from zdt.db.urls import redact
    from zdt.schema.snapshot import introspect

    try:
        with psycopg.connect(database_url, connect_timeout=10) as conn:
            return introspect(conn)
    except psycopg.Error as error:
        raise LintInputError(f"cannot read the schema of {redact(database_url)}: {error}") from error


def lint_sources(
    sources: list[tuple[str, str]],
    *,
    pg_version: int | None,
    snapshot: SchemaSnapshot | None,
    small_table: SmallTable | None = None,
) -> list[tuple[str, list[StatementReport]]]:
    """Each file in its own session, in order; a relation is new only in the file that creates it."""
    state = new_state(pg_version=pg_version, snapshot=snapshot, small_table=small_table)
    results = []
    for name, text in sources:
        state.forget_new_relations()
        results.append((name, analyse_script(text, state, source=name)))
    return results


def has_errors(results: list[tuple[str, list[StatementReport]]]) -> bool:
    return any(
        finding.severity is Severity.ERROR
        for _, reports in results
        for report in reports
        for finding in report.findings
    )


CONFIG_HINT = "zdt.toml (or [tool.zdt] in pyproject.toml)"


def load_lint_config(config_path: Path | None) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as error:
        raise LintInputError(str(error)) from error


def lint_targets(targets: list[str] | None, config: Config) -> list[str]:
    """The targets given, else the configuration's migrations folder."""
    if targets:
        return targets
    if config.migrations_path is not None:
        return [str(config.migrations_path)]
    raise LintInputError(f"give FILE|DIR|- to lint, or set migrations in {CONFIG_HINT}")


def lint_command(
    targets: list[str] | None = typer.Argument(
        None,
        metavar="FILE|DIR|-",
        help="SQL files, directories of .sql files, or -; default: the config file's migrations folder.",
    ),
    output_format: OutputFormat | None = typer.Option(
        None,
        "--format",
        help="text (default), json, sarif, github (workflow commands) or gitlab (Code Quality).",
    ),
    pg_version: int | None = typer.Option(
        None, "--pg-version", min=11, help="Target PostgreSQL major version (default: the server's, else 18)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="ZDT_DATABASE_URL", help="Read the live schema and table sizes."
    ),
    trace: bool = typer.Option(
        False, "--trace", help="Also run each statement on a throwaway copy of the schema and measure it."
    ),
    changed_since: str | None = typer.Option(
        None,
        "--changed-since",
        metavar="REF",
        help="Report only files git says changed since REF (and untracked ones); earlier files are "
        "still read, in order, as context.",
    ),
    config_path: Path | None = typer.Option(
        None,
        "--config",
        metavar="PATH",
        help=f"Configuration file (default: the nearest {CONFIG_HINT}, from here up).",
    ),
) -> None:
    """Analyse migration SQL: locks, rewrites, scans, what it blocks, and how to do it safely."""
    err = Console(stderr=True)
    try:
        config = load_lint_config(config_path)
        targets = lint_targets(targets, config)
        sources = collect_all(targets)
        reported = {name for name, _ in sources}
        if changed_since is not None:
            sources, reported = only_changed(sources, targets, changed_since)
            if not reported:
                err.print(f"no changed .sql files since {changed_since}", highlight=False)
        snapshot = load_snapshot(database_url) if database_url else None
        results = lint_sources(
            sources, pg_version=pg_version, snapshot=snapshot, small_table=config.small_table()
        )
        traces = _run_trace(sources, results, database_url) if trace else None
    except SqlSyntaxError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except LintInputError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    results = [(name, config.apply(reports)) for name, reports in results if name in reported]
    if traces is not None:
        traces = {key: traced for key, traced in traces.items() if key[0] in reported}
    output_format = output_format or config.format or OutputFormat.TEXT
    if output_format is not OutputFormat.TEXT:
        texts = dict(sources)
        run = LintRun([LintedFile(name, texts[name], reports) for name, reports in results], traces)
        output = REPORTERS[output_format.value](run)
        if output:
            typer.echo(output)
    else:
        version = pg_version or (snapshot.server_version if snapshot else None)
        render_text(Console(), results, pg_version=version, snapshot=snapshot, traces=traces)
    raise typer.Exit(EXIT_FINDINGS if has_errors(results) else EXIT_OK)


def _run_trace(
    sources: list[tuple[str, str]],
    results: list[tuple[str, list[StatementReport]]],
    database_url: str | None,
) -> dict[tuple[str, int], StatementTrace]:
    import psycopg  # --trace only: a server, a copy of the schema

    from zdt.analysis.schema_copy import SchemaCopyError
    from zdt.cli.lint_trace import trace_sources
    from zdt.db.urls import redact

    try:
        return trace_sources(sources, results, database_url)
    except (psycopg.Error, SchemaCopyError) as error:
        where = redact(database_url) if database_url else "the embedded server"
        raise LintInputError(f"--trace could not prepare a copy of {where}: {error}") from error
