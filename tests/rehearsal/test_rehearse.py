"""--rehearse proves a plan on an embedded copy of the target, and never touches the target."""

from __future__ import annotations

from pathlib import Path

import psycopg
from typer.testing import CliRunner

from zdt.cli.app import app
from zdt.plan.check import stamp
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.rehearse import rehearse_plan
from zdt.schema import introspect

runner = CliRunner()


def _target(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text)")
    conn.execute(
        "CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES users (id), "
        "title varchar(50))"
    )
    conn.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 300) g")
    conn.execute("INSERT INTO posts SELECT g, 1 + g % 300, 't' || g FROM generate_series(1, 2000) g")


def test_rehearsal_applies_and_rolls_back_on_a_copy(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    _target(conn)
    snapshot = introspect(conn)
    plan = stamp(
        plan_sql(
            "CREATE INDEX posts_title ON posts (title);\n"
            "ALTER TABLE posts ADD COLUMN score int NOT NULL DEFAULT 0;\n"
            "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;",
            snapshot=snapshot,
        ),
        snapshot,
    )
    result = rehearse_plan(plan, database_url, sample_rows=500, log_path=tmp_path / "log.md")
    assert result.ok, result.execution
    assert result.sampled_rows == {"public.users": 300, "public.posts": 500}
    assert result.rollback is not None and result.rollback.schema_restored
    assert introspect(conn).fingerprint() == snapshot.fingerprint()  # the target is untouched


def test_cli_rehearse_needs_no_confirmation_and_leaves_the_target_alone(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    _target(conn)
    before = introspect(conn).fingerprint()
    source = tmp_path / "m.sql"
    source.write_text("CREATE INDEX posts_title ON posts (title);\n")
    planned = runner.invoke(
        app, ["plan", str(source), "--database-url", database_url, "--out", str(tmp_path)]
    )
    assert planned.exit_code == 0, planned.output
    result = runner.invoke(
        app,
        [
            "apply",
            str(tmp_path / "plan.json"),
            "--database-url",
            database_url,
            "--rehearse",
            "--out",
            str(tmp_path),
        ],
    )
    flat = " ".join(result.output.split())
    assert result.exit_code == 0, flat
    assert "rehearsal on the embedded PostgreSQL" in flat
    assert "schema restored exactly" in flat
    assert "application load: " in flat and ", 0 failed (0 in the" in flat  # it ran under load, unharmed
    assert "the target was not touched" in flat
    assert introspect(conn).fingerprint() == before
    schemas = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'zdt'").fetchone()
    assert schemas == (0,)
