"""rename-type: renaming a type the plan creates is expand, an unused existing one contract, each undone
by the rename back; renaming a type live columns have is refused, and Prisma's enum swap (the file
exactly as ``prisma migrate`` writes it) is refused at the rename with its file, line and the safe
alternative, before any step runs."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.cli.app import app
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sources, plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

# What `prisma migrate dev` writes to remove a label from an enum with a default (its own comment kept).
PRISMA_ENUM_SWAP = """\
/*
  Warnings:

  - The values [LAWYER] on the enum `Role` will be removed. If these variants are still used in the database, this will fail.

*/
-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('OWNER', 'ADMIN');
ALTER TABLE "public"."User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "public"."Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'OWNER';
COMMIT;
"""  # noqa: E501 (Prisma's own warning line, kept as it writes it)
USERS = """
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'LAWYER');
CREATE TABLE "User" (id bigint PRIMARY KEY, role "Role" NOT NULL DEFAULT 'OWNER');
INSERT INTO "User" SELECT g, 'OWNER' FROM generate_series(1, 12000) g;
ANALYZE "User";
"""


def _snapshot(url: str) -> object:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def test_the_prisma_enum_swap_is_refused_at_the_rename_with_the_alternative(
    conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute(USERS)
    with pytest.raises(PlanningError) as refused:
        plan_sources(
            [("20250101_remove_lawyer/migration.sql", PRISMA_ENUM_SWAP), ("later.sql", "SELECT 1;")],
            snapshot=introspect(conn),
        )
    message = str(refused.value)
    assert message.startswith(
        '20250101_remove_lawyer/migration.sql: line 12: ALTER TYPE public."Role" RENAME TO "Role_old" '
        'renames a type that columns in use have (public."User".role)'
    )
    assert 'CAST($1::text AS "Role")' in message and "enum swap" in message
    assert "CHECK (role <> '<label>') NOT VALID, then VALIDATE CONSTRAINT" in message


def test_zdt_plan_of_the_prisma_enum_swap_exits_2_naming_line_and_alternative(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute(USERS)
    source = tmp_path / "migration.sql"
    source.write_text(PRISMA_ENUM_SWAP)
    result = CliRunner().invoke(
        app, ["plan", str(source), "--database-url", database_url, "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f'{source}:line12:ALTERTYPEpublic."Role"RENAMETO"Role_old"' in "".join(said.split())
    assert 'keep type public."Role" as it is' in said


def test_a_type_the_plan_creates_is_renamed_in_expand_and_back_on_rollback(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    before = fingerprint(database_url)
    planned = plan_against(
        database_url, "CREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood RENAME TO feeling;"
    )
    _, rename = planned.plan.steps
    assert (rename.id, rename.phase, rename.lock) == ("s02-rename-type", Phase.EXPAND, None)
    assert "AccessExclusiveLock on the type" in rename.description
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regtype('feeling') IS NOT NULL AND to_regtype('mood') IS NULL")
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_renaming_a_type_live_columns_have_is_refused(conn: psycopg.Connection, database_url: str) -> None:
    conn.execute(USERS)
    conn.execute("CREATE SCHEMA billing; CREATE TYPE billing.plan AS ENUM ('free')")
    conn.execute("CREATE TABLE billing.accounts (id int PRIMARY KEY, plans billing.plan[])")
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match=r'line 1: .*\(public."User".role\).*keep the name public."Role"'):
        plan_sql('ALTER TYPE "Role" RENAME TO "Position";', snapshot=snapshot)
    with pytest.raises(PlanningError, match=r"\(billing.accounts.plans\)"):  # an array of it counts
        plan_sql("ALTER TYPE billing.plan RENAME TO tier;", snapshot=snapshot)
    with pytest.raises(PlanningError, match=r"without the schema .*--database-url"):
        plan_sql("ALTER TYPE mood RENAME TO feeling;")


def test_an_unused_existing_type_is_renamed_in_contract(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("CREATE TYPE mood AS ENUM ('ok')")
    planned = plan_against(database_url, "ALTER TYPE mood RENAME TO feeling;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.sql == [
        'ALTER TYPE "public"."feeling" RENAME TO "mood"'
    ]
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regtype('mood') IS NOT NULL")
