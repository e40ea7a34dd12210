"""A plan is stamped only when it ends in the schema its file gives as written, proven on two copies."""

from __future__ import annotations

from pathlib import Path

import psycopg
from typer.testing import CliRunner

from zdt.cli.app import app
from zdt.plan.model import MigrationPlan
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

SCHEMA = """
CREATE TABLE t (id bigint PRIMARY KEY, a int, b text, c int, z text);
INSERT INTO t SELECT g, g % 100, 'b' || g, g, 'z' FROM generate_series(1, 12000) g;
CREATE INDEX t_a_idx ON t (a);
ANALYZE t;
"""
RISKY = """
DROP INDEX IF EXISTS t_a_idx;
CREATE INDEX IF NOT EXISTS t_a_idx ON t (a, b);
ALTER TABLE t ADD COLUMN d integer NOT NULL DEFAULT 0;
ALTER TABLE t ALTER COLUMN c SET NOT NULL;
ALTER TABLE t DROP COLUMN z;
"""


def _plan(url: str, sql: str) -> MigrationPlan:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    return plan_sql(sql, snapshot=snapshot, settings=PlannerSettings(batch_size=5_000, batch_pause_ms=0))


def test_a_plan_of_dependent_and_rewritten_statements_is_proven_equivalent(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    plan = _plan(database_url, RISKY)
    outcome = prove_equivalence(plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert outcome.proven, outcome.summary()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (12000,)  # the target was only read
    assert conn.execute("SELECT pg_get_indexdef('t_a_idx'::regclass)").fetchone() == (
        "CREATE INDEX t_a_idx ON public.t USING btree (a)",
    )


def test_a_plan_that_ends_elsewhere_is_named_object_by_object(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    plan = _plan(database_url, "CREATE INDEX t_c_idx ON t (c);")
    build = plan.steps[0]
    wrong = build.model_copy(update={"sql": [build.sql[0].replace("(c)", "(a)")]})
    tampered = plan.model_copy(update={"steps": [wrong, *plan.steps[1:]]})
    outcome = prove_equivalence(tampered, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert not outcome.proven and outcome.not_proven is None
    assert outcome.differences == [
        "index public.t_c_idx on public.t: "
        "file as written 'CREATE INDEX t_c_idx ON public.t USING btree (c)', "
        "plan 'CREATE INDEX t_c_idx ON public.t USING btree (a)'"
    ]


def test_a_file_that_cannot_run_on_the_copy_is_not_proven_and_says_where(
    database_url: str, admin_url: str, tmp_path: Path
) -> None:
    plan = plan_sql("CREATE TABLE u (id int);\nALTER TABLE missing ADD COLUMN x int;")
    outcome = prove_equivalence(plan, schema_from=None, log_dir=tmp_path, server_url=admin_url)
    assert not outcome.proven and outcome.differences == []
    assert outcome.not_proven is not None
    assert "line 2" in outcome.not_proven and '"missing" does not exist' in outcome.not_proven


def test_zdt_plan_with_a_database_proves_the_plan_before_stamping_it(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    source = tmp_path / "m.sql"
    source.write_text(RISKY)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["plan", str(source), "--database-url", database_url, "--out", str(out)],
        env={"ZDT_SCRATCH_SERVER_URL": admin_url},
    )
    assert result.exit_code == 0, result.output
    plan = MigrationPlan.model_validate_json((out / "plan.json").read_text())
    assert plan.checked_hash is not None
    assert any(note.startswith("equivalence proven") for note in plan.notes)
    assert "equivalence proven" in (out / "MIGRATION-PLAN.md").read_text()


PRISMA_REQUIRED_ENUM_COLUMN = """
CREATE TYPE "DocumentSource" AS ENUM ('DOCUMENT', 'TEMPLATE');
ALTER TABLE "Document" ADD COLUMN "source" "DocumentSource", ADD COLUMN "templateId" INTEGER;
UPDATE "Document" SET "source" = 'DOCUMENT' WHERE "source" IS NULL;
ALTER TABLE "Document" ALTER COLUMN "source" SET NOT NULL;
"""


def test_a_prisma_required_enum_column_plans_and_applies_as_written(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """documenso's 20240530055436: a mixed-case enum type in the backfill's cast must stay quoted."""
    conn.execute('CREATE TABLE "Document" (id bigint PRIMARY KEY, title text)')
    conn.execute("""INSERT INTO "Document" SELECT g, 't' || g FROM generate_series(1, 12000) g""")
    conn.execute('ANALYZE "Document"')
    plan = _plan(database_url, PRISMA_REQUIRED_ENUM_COLUMN)
    outcome = prove_equivalence(plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert outcome.proven, outcome.summary()
