"""The schema snapshot: the pg_dump that fits the server, its CREATE TABLE, and no password anywhere.

Why a role with a password: the test servers trust local connections, so the password in the URL is
never needed to connect, which is the point: wherever it would leak (the command line, the file, a
message, the log), it is there to be found.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from zdt.db.pg_dump import PgDump, PgDumpError, dump_schema_to, pg_dump_for, pick, server_major
from zdt.graph.backup import keep_schema_snapshot

PASSWORD = "s3cret-Pw-4-dump"


@pytest.fixture
def url_with_password(conn: psycopg.Connection, database_url: str) -> Iterator[str]:
    """The test database as a role with a password would name it (a superuser, to read the schema)."""
    role = f"zdt_dump_{conn.info.backend_pid}"
    conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    conn.execute(
        "CREATE TABLE ballots (id bigint PRIMARY KEY, election_id bigint NOT NULL, cast_at timestamptz)"
    )
    try:
        yield make_conninfo(database_url, user=role, password=PASSWORD)
    finally:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def _dump(path: str, major: int) -> PgDump:
    return PgDump(Path(path), major, f"pg_dump (PostgreSQL) {major}")


def test_the_oldest_pg_dump_not_older_than_the_server_is_picked() -> None:
    found = [_dump("/embedded/pg_dump", 18), _dump("/usr/lib/postgresql/15/bin/pg_dump", 15)]
    assert pick(15, found).major == 15, "the server's own version"
    assert pick(16, found).path == Path("/embedded/pg_dump"), "an older one cannot dump a newer server"
    with pytest.raises(PgDumpError, match=r"no pg_dump of PostgreSQL 19 or newer .*found: /embedded"):
        pick(19, found)


def test_the_pg_dump_chosen_here_fits_the_test_server(admin_url: str, server_version: int) -> None:
    chosen = pg_dump_for(admin_url)
    assert chosen.major >= server_version == server_major(admin_url)
    assert str(chosen.major) in chosen.version


def test_the_snapshot_has_the_schema_and_no_password(
    url_with_password: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    calls: list[dict[str, Any]] = []
    real_run = subprocess.run

    def watched(args: list[str], **kwargs: Any) -> Any:
        calls.append({"args": args, "env": kwargs.get("env") or {}})
        return real_run(args, **kwargs)

    monkeypatch.setattr("zdt.db.pg_dump.subprocess.run", watched)
    caplog.set_level(logging.DEBUG)

    kept = keep_schema_snapshot(url_with_password, tmp_path / "session")

    assert "error" not in kept, kept
    dump = Path(kept["path"])
    text = dump.read_text()
    assert "CREATE TABLE public.ballots" in text and "election_id bigint NOT NULL" in text
    assert kept["bytes"] == len(dump.read_bytes()) and len(kept["sha256"]) == 64
    assert dump.stat().st_mode & 0o077 == 0, "the production schema is the operator's to read"
    dumped = [call for call in calls if "--schema-only" in call["args"]]
    assert dumped and all(PASSWORD not in " ".join(call["args"]) for call in calls)
    assert dumped[0]["env"].get("PGPASSWORD") == PASSWORD, "the password travels in the environment"
    out, err = capfd.readouterr()
    for place in (text, str(kept), caplog.text, out, err):
        assert PASSWORD not in place


def test_a_failed_dump_names_the_server_redacted(url_with_password: str, tmp_path: Path) -> None:
    missing = make_conninfo(url_with_password, dbname="zdt_no_such_database")
    kept = keep_schema_snapshot(missing, tmp_path)
    assert "zdt_no_such_database" in kept["error"] and PASSWORD not in kept["error"]
    with pytest.raises(PgDumpError) as raised:
        dump_schema_to(missing, tmp_path / "x.sql", pg_dump_for(url_with_password))
    assert PASSWORD not in str(raised.value) and "zdt_no_such_database" in str(raised.value)
