"""``zdt plan DIR`` on a team's migrations folder: only what is pending, every refusal with file and line,
and ``zdt apply`` records what it applied in the tool's own history table."""

from __future__ import annotations

from pathlib import Path

import psycopg
from typer.testing import CliRunner

from tests.migrations.trees import tree
from zdt.cli.app import app
from zdt.migrations import pending, read_folder, record_applied
from zdt.plan.model import MigrationPlan

runner = CliRunner()
INIT = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
POSTS = (
    "CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint);\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
)


def _prisma(root: Path, *extra: tuple[str, str]) -> Path:
    files = {
        "migration_lock.toml": 'provider = "postgresql"\n',
        "20240101000000_init/migration.sql": INIT,
        "20240102000000_posts/migration.sql": POSTS,
    }
    files.update(dict(extra))
    return tree(root / "migrations", files)


def _applied_first(folder_path: Path, conn: psycopg.Connection) -> None:
    """The state a team's database is in after `prisma migrate deploy` ran the first migration."""
    folder = read_folder(folder_path)
    conn.execute(INIT)
    conn.execute("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 12000) g")
    conn.execute("ANALYZE users")
    record_applied(conn, folder, folder.migrations[0], execution_ms=5)


def test_only_pending_migrations_are_planned_and_apply_records_them(
    tmp_path: Path, conn: psycopg.Connection, database_url: str
) -> None:
    folder_path = _prisma(tmp_path)
    _applied_first(folder_path, conn)
    out = tmp_path / "out"
    planned = runner.invoke(
        app, ["plan", str(folder_path), "--database-url", database_url, "--out", str(out), "--no-prove"]
    )
    assert planned.exit_code == 0, planned.output
    said = " ".join(planned.stderr.split())
    assert "prisma folder" in said and "1 pending of 2, 1 already applied" in said
    plan = MigrationPlan.model_validate_json((out / "plan.json").read_text())
    assert [m.key for m in plan.migrations] == ["20240102000000_posts"]
    assert set(plan.migrations[0].steps) == {step.id for step in plan.steps}
    assert any("CONCURRENTLY" in sql for step in plan.steps for sql in step.sql)  # users is live

    applied = runner.invoke(
        app, ["apply", str(out / "plan.json"), "--database-url", database_url, "--yes", "--out", str(out)]
    )
    assert applied.exit_code == 0, applied.output
    assert "recorded in _prisma_migrations" in applied.output
    assert pending(read_folder(folder_path), conn) == []
    rows = conn.execute(
        "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NULL, applied_steps_count "
        "FROM _prisma_migrations ORDER BY migration_name"
    ).fetchall()
    assert rows == [("20240101000000_init", True, True, 1), ("20240102000000_posts", True, True, 1)]

    again = runner.invoke(app, ["plan", str(folder_path), "--database-url", database_url, "--out", str(out)])
    assert again.exit_code == 0 and "nothing to plan" in again.stdout


def test_a_refusal_names_the_file_and_its_line(tmp_path: Path) -> None:
    folder_path = _prisma(
        tmp_path, ("20240103000000_vacuum/migration.sql", "CREATE TABLE c (id int);\n\nVACUUM FULL users;\n")
    )
    result = runner.invoke(app, ["plan", str(folder_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    message = "".join(result.stderr.split())  # rich wraps long paths anywhere
    assert "20240103000000_vacuum/migration.sql:line3:zdthasnorecipeforVACUUMinamigration" in message


def test_flyway_versions_are_planned_in_numeric_order(tmp_path: Path) -> None:
    folder_path = tree(
        tmp_path / "db",
        {
            "V1_10__second.sql": "CREATE TABLE b (id int);\n",
            "V1_9__first.sql": "CREATE TABLE a (id int);\n",
            "R__view.sql": "CREATE VIEW v AS SELECT id FROM a;\n",
        },
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", str(folder_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = MigrationPlan.model_validate_json((out / "plan.json").read_text())
    assert [m.key for m in plan.migrations] == ["1.9", "1.10", "R:view"]
    assert [step.sql[0].split()[2] for step in plan.steps] == ["a", "b", "v"]
