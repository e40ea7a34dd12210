"""``zdt lint --trace``: measured locks beside the claim, on a copy, never on the named database."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from zdt.cli.app import app
from zdt.schema import introspect

runner = CliRunner()

SCRIPT = """
CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, title varchar(50));
SET lock_timeout = '1s';
CREATE INDEX posts_author ON posts (author_id);
ALTER TABLE posts ALTER COLUMN title TYPE varchar(100);
"""


def test_trace_on_the_embedded_server_reports_measured_locks(tmp_path: Path) -> None:
    path = tmp_path / "m.sql"
    path.write_text(SCRIPT)
    result = runner.invoke(app, ["lint", str(path), "--trace", "--format", "json"])
    assert result.exit_code == 0, result.output
    statements = json.loads(result.stdout)["statements"]
    index = next(s for s in statements if s["kind"] == "IndexStmt")
    assert index["trace"]["locks"][0]["relation"] == "public.posts"
    assert index["trace"]["locks"][0]["mode"] == "ShareLock"
    assert index["trace"]["blocked_writes"] == ["public.posts"]
    assert index["trace"]["disagreements"] == []
    assert "embedded PostgreSQL" in index["trace"]["where"]
    setting = next(s for s in statements if s["kind"] == "VariableSetStmt")
    assert "trace" not in setting


def test_trace_copies_the_schema_and_leaves_the_source_untouched(
    tmp_path: Path, conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title varchar(50))")
    conn.execute("INSERT INTO posts SELECT g, 't' FROM generate_series(1, 100) g")
    before = introspect(conn).fingerprint()
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE posts ADD COLUMN flag boolean;\nCREATE INDEX posts_title ON posts (title);")
    result = runner.invoke(app, ["lint", str(path), "--trace", "--database-url", database_url])
    flat = " ".join(result.output.split())
    assert "traced: AccessExclusiveLock on public.posts" in flat
    assert "traced: ShareLock on public.posts" in flat
    assert "0 disagreeing with the claim" in flat
    assert introspect(conn).fingerprint() == before
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (100,)


def test_a_statement_failing_on_the_copy_is_shown_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE missing ADD COLUMN x int;\nCREATE TABLE t (id int);")
    result = runner.invoke(app, ["lint", str(path), "--trace", "--format", "json"])
    first, second = json.loads(result.stdout)["statements"]
    assert first["trace"]["ok"] is False and first["trace"]["error"].startswith("42P01")
    assert second["trace"]["ok"] is True
