"""``zdt plan`` writes a reviewable plan and a stamped plan.json, or says why it cannot."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from zdt.cli.app import app
from zdt.plan.check import ensure_unchanged
from zdt.plan.model import MigrationPlan

runner = CliRunner()


def test_plan_writes_markdown_and_stamped_json(
    tmp_path: Path, conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, a int)")
    source = tmp_path / "m.sql"
    source.write_text("CREATE INDEX posts_a ON posts (a);\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", str(source), "--database-url", database_url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = MigrationPlan.model_validate_json((out / "plan.json").read_text())
    ensure_unchanged(plan)
    assert plan.schema_fingerprint is not None
    markdown = (out / "MIGRATION-PLAN.md").read_text()
    assert "CREATE INDEX CONCURRENTLY posts_a ON posts (a);" in markdown
    assert "DROP INDEX CONCURRENTLY IF EXISTS" in markdown
    assert "passed the gate" in markdown
    assert "offline (deterministic)" in markdown


def test_plan_json_format_on_stdout(tmp_path: Path) -> None:
    source = tmp_path / "m.sql"
    source.write_text("CREATE TABLE t (id bigint);")
    result = runner.invoke(app, ["plan", str(source), "--format", "json", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["steps"][0]["recipe"] == "pass-through"


def test_plan_that_fails_the_gate_exits_1_and_stays_unstamped(tmp_path: Path) -> None:
    source = tmp_path / "m.sql"
    source.write_text("ALTER TABLE posts ADD COLUMN n bigserial;")  # rewrites posts: no safe recipe
    result = runner.invoke(app, ["plan", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["checked_hash"] is None
    document = (tmp_path / "MIGRATION-PLAN.md").read_text()
    assert "may not run" in document
    assert "adding-serial-or-identity-column" in document


def test_statement_without_recipe_exits_2_naming_it_with_its_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "m.sql"
    source.write_text("SET lock_timeout = '1s';\nVACUUM FULL posts;")
    result = runner.invoke(app, ["plan", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 2
    said = "".join(result.stderr.split())  # the console wraps long lines, a long path anywhere
    assert f"{source}:line2:zdthasnorecipeforVACUUMinamigration" in said


def test_plan_with_bad_sql_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "m.sql"
    source.write_text("ALTER TABEL x;")
    result = runner.invoke(app, ["plan", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{source}:1:7" in " ".join(result.stderr.split())
