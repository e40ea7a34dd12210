"""``zdt apply``, ``zdt rollback`` and ``zdt status`` as a user runs them: exit codes, messages, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from typer.testing import CliRunner

from tests.executor.plans import add_column, column_exists_sql, increment, make_table, plan_of
from zdt.cli.app import app
from zdt.plan.model import MigrationPlan, Verification

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _write(tmp_path: Path, plan: MigrationPlan) -> str:
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json(indent=2))
    return str(path)


def _mark_staging(conn: psycopg.Connection, url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS 'zdt:staging'").format(sql.Identifier(str(name))))


def test_apply_status_and_rollback_on_a_staging_database(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", 1_000)
    _mark_staging(conn, database_url)  # staging: no --yes needed, no terminal needed
    steps = [
        add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
        increment("bump", "public.items", "n", batch_size=300),
    ]
    plan_path = _write(tmp_path, plan_of(steps, pg_version=server_version))
    url = make_conninfo(database_url, password="hunter2-secret")
    out = ["--out", str(tmp_path / "out")]

    tuning = ["--max-wal-rate", "500", "--wal-compression", "pglz"]
    applied = runner.invoke(app, ["apply", plan_path, "--database-url", url, *tuning, *out])
    assert applied.exit_code == 0, applied.output
    assert "all steps done" in _flat(applied.output)
    assert "1000/1000" in applied.output  # the backfill's progress bar
    log = (tmp_path / "out" / "MIGRATION-LOG.md").read_text()
    assert "WAL paced to 500.0 MB/s" in log and "WAL compression: pglz" in log

    status = runner.invoke(app, ["status", "--database-url", url, "--format", "json"])
    assert status.exit_code == 0, status.output
    [migration] = json.loads(status.stdout)["migrations"]
    assert migration["status"] == "done"
    assert [(s["step_id"], s["status"]) for s in migration["steps"]] == [("add-n", "done"), ("bump", "done")]
    assert migration["steps"][1]["backfill"]["rows_done"] == 1_000

    text = runner.invoke(app, ["status", "--database-url", url])
    assert text.exit_code == 0 and "add-n" in text.output

    rolled = runner.invoke(app, ["rollback", plan_path, "--database-url", url, *out])
    assert rolled.exit_code == 0, rolled.output
    assert "schema is as before" in _flat(rolled.output)
    for output in (applied.output, status.output, text.output, rolled.output):
        assert "hunter2-secret" not in output


def test_a_database_not_marked_staging_is_refused_without_a_terminal(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan_path = _write(
        tmp_path, plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    )
    out = ["--out", str(tmp_path / "out")]

    refused = runner.invoke(app, ["apply", plan_path, "--database-url", database_url, *out])
    assert refused.exit_code == 3
    assert "not marked as staging" in _flat(refused.output) and "--yes" in refused.output
    assert conn.execute("SELECT to_regnamespace('zdt') IS NULL").fetchone() == (True,)

    forced = runner.invoke(app, ["apply", plan_path, "--database-url", database_url, "--yes", *out])
    assert forced.exit_code == 0, forced.output


def test_a_failed_step_exits_1_naming_the_step_and_the_state_of_the_database(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", 10)
    wrong = add_column("add-b", "public.items", "b").model_copy(
        update={"verify": Verification(sql=column_exists_sql("public.items", "b"), expect=False)}
    )
    plan_path = _write(tmp_path, plan_of([wrong], pg_version=server_version))
    result = runner.invoke(
        app, ["apply", plan_path, "--database-url", database_url, "--yes", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    message = _flat(result.output)
    assert "step add-b failed" in message and "The database was left as before this step" in message
    assert (tmp_path / "out" / "MIGRATION-LOG.md").exists()


def test_bad_input_exits_2(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    make_table(conn, "items", 10)
    plan = plan_of([add_column("add-n", "public.items", "n")], pg_version=server_version)
    edited = plan.model_copy(
        update={"steps": [plan.steps[0].model_copy(update={"description": "something else entirely"})]}
    )
    base = ["--database-url", database_url, "--yes", "--out", str(tmp_path / "out")]

    tampered = runner.invoke(app, ["apply", _write(tmp_path, edited), *base])
    assert tampered.exit_code == 2 and "changed after it was checked" in _flat(tampered.output)

    missing = runner.invoke(app, ["apply", str(tmp_path / "nope.json"), *base])
    assert missing.exit_code == 2 and "cannot read" in missing.output

    later_phase = runner.invoke(app, ["apply", _write(tmp_path, plan), *base, "--phase", "contract"])
    assert later_phase.exit_code == 2 and "phase expand is not done" in _flat(later_phase.output)

    never_applied = runner.invoke(app, ["rollback", _write(tmp_path, plan), *base])
    assert never_applied.exit_code == 2 and "never applied" in _flat(never_applied.output)
