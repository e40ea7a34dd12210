"""drop-constraint: CHECK / FOREIGN KEY / NOT NULL drops run in expand, keys in contract; every rollback
rebuilds the constraint from the snapshot's definition and restores the exact schema; Prisma's
drop-and-re-add of a foreign key plans, passes the gate and ends exactly where the file does."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import (
    analyse_original,
    create_posts,
    execute,
    plan_against,
    scalar,
    steps_in,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.executor import rollback_migration
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

PRISMA_FK_CHANGE = """
-- DropForeignKey
ALTER TABLE "posts" DROP CONSTRAINT "posts_author_id_fkey";

-- AddForeignKey
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "authors"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"""  # noqa: E501 (Prisma writes it on one line)


def _with_constraints(conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute(
        "ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey "
        "FOREIGN KEY (author_id) REFERENCES authors (id)"
    )
    conn.execute("ALTER TABLE posts ADD CONSTRAINT posts_score_range CHECK (score BETWEEN 0 AND 10)")
    conn.execute("ALTER TABLE posts ADD CONSTRAINT posts_body_short CHECK (length(body) < 100) NOT VALID")
    conn.execute("ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title)")
    conn.execute("ANALYZE")


def _foreign_key_definition(url: str) -> object:
    return scalar(
        url,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'posts_author_id_fkey'",
    )


def test_prisma_foreign_key_change_plans_applies_and_ends_where_the_file_does(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    _with_constraints(conn)
    planned = plan_against(database_url, PRISMA_FK_CHANGE)  # gate-clean, every forward statement clean
    drop, add, validate = planned.plan.steps
    assert (drop.recipe, add.recipe, validate.recipe) == (
        "drop-constraint",
        "add-constraint-not-valid",
        "add-constraint-not-valid",
    )
    assert [step.phase for step in planned.plan.steps] == [Phase.EXPAND, Phase.EXPAND, Phase.MIGRATE]
    assert drop.tables == ["public.posts", "public.authors"]  # the FK's triggers go from authors too
    assert add.sql[0].endswith("ON DELETE CASCADE ON UPDATE CASCADE NOT VALID")

    before = fingerprint(database_url)
    old_definition = _foreign_key_definition(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert _foreign_key_definition(database_url) == (
        "FOREIGN KEY (author_id) REFERENCES authors(id) ON UPDATE CASCADE ON DELETE CASCADE"
    )
    proof = prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path / "proof", server_url=admin_url
    )
    assert proof.not_proven is None and proof.differences == [], proof.summary()

    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _foreign_key_definition(database_url) == old_definition
    assert fingerprint(database_url) == before


def test_check_is_dropped_in_expand_and_re_added_validated(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    _with_constraints(conn)
    sql = "ALTER TABLE posts DROP CONSTRAINT posts_score_range;"
    planned = plan_against(database_url, sql)
    (original,) = analyse_original(sql, planned.snapshot)
    assert original.lock is LockMode.ACCESS_EXCLUSIVE and not original.scans_table

    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.lock is LockMode.ACCESS_EXCLUSIVE
    assert "validation fails if violating rows arrived" in step.description
    assert step.rollback.transactional is False
    assert step.rollback.sql == [
        'ALTER TABLE "public"."posts" DROP CONSTRAINT IF EXISTS "posts_score_range"',
        "ALTER TABLE public.posts ADD CONSTRAINT posts_score_range "
        "CHECK (score >= 0 AND score <= 10) NOT VALID",
        'ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_score_range"',
    ]
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.constraint_absent("public.posts", "posts_score_range")) is True
    conn.execute("UPDATE posts SET score = 11 WHERE id = 1")  # what the new release may write

    stopped = rollback_migration(planned.plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert not stopped.ok  # the violating row makes the validation fail
    conn.execute("UPDATE posts SET score = 1 WHERE id = 1")
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_a_not_valid_check_comes_back_not_valid(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    _with_constraints(conn)
    planned = plan_against(database_url, "ALTER TABLE posts DROP CONSTRAINT posts_body_short;")
    (step,) = planned.plan.steps
    assert not any("VALIDATE" in statement for statement in step.rollback.sql)
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


@pytest.mark.parametrize("key", ["posts_title_key", "posts_pkey"])
def test_keys_are_dropped_in_contract_and_rebuilt_concurrently(
    key: str, conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    _with_constraints(conn)
    planned = plan_against(database_url, f"ALTER TABLE posts DROP CONSTRAINT {key};")
    (step,) = steps_in(planned.plan, Phase.CONTRACT)
    assert step.rollback.transactional is False
    assert step.rollback.sql[1].startswith("CREATE UNIQUE INDEX CONCURRENTLY")
    assert step.rollback.sql[2].endswith(f'USING INDEX "{key}"')
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.relation_absent(f"public.{key}")) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    kind = "p" if key == "posts_pkey" else "u"
    assert scalar(database_url, f"SELECT contype FROM pg_constraint WHERE conname = '{key}'") == kind


def test_a_key_dropped_and_re_added_under_its_name_plans(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """The re-added UNIQUE's index name is in the snapshot, but the drop before it removed it."""
    _with_constraints(conn)
    sql = """
        ALTER TABLE posts DROP CONSTRAINT posts_title_key;
        ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title, author_id);
    """
    planned = plan_against(database_url, sql)
    assert [step.recipe for step in planned.plan.steps] == [
        "drop-constraint",
        "add-unique-using-index",
        "add-unique-using-index",
    ]
    # The rebuild waits for the drop: the planner keeps statements about one constraint in order.
    assert [step.phase for step in planned.plan.steps] == [Phase.CONTRACT] * 3
    execute(database_url, planned.plan, log_dir=tmp_path)
    proof = prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path / "proof", server_url=admin_url
    )
    assert proof.proven, proof.summary()


def test_a_not_null_constraint_of_postgresql_18_is_a_not_null_drop(
    conn: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    if server_version < 18:
        pytest.skip("NOT NULL is a named constraint from PostgreSQL 18 on")
    create_posts(conn)
    planned = plan_against(database_url, "ALTER TABLE posts DROP CONSTRAINT posts_score_not_null;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.recipe == "drop-constraint"
    assert step.verify.sql == checks.column_not_null_is("public.posts", "score", False)
    assert 'ADD CONSTRAINT "posts_score_not_null" NOT NULL "score" NOT VALID' in step.rollback.sql[1]
    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    assert scalar(database_url, checks.constraint_exists("public.posts", "posts_score_not_null")) is True
    with pytest.raises(PlanningError, match="in the primary key"):
        plan_sql("ALTER TABLE posts DROP CONSTRAINT posts_id_not_null;", snapshot=planned.snapshot)


def test_without_a_snapshot_keys_are_irreversible_and_the_rest_refused() -> None:
    plan = plan_sql('ALTER TABLE "posts" DROP CONSTRAINT "posts_slug_key";')
    (step,) = plan.steps
    assert step.phase is Phase.CONTRACT
    assert step.rollback.irreversible and "--database-url" in step.rollback.irreversible
    assert check_plan(plan) == []
    for name in ("posts_author_id_fkey", "posts_title_check", "posts_rule"):
        with pytest.raises(PlanningError, match=r"line 2: dropping .* plan with --database-url"):
            plan_sql(f"\nALTER TABLE posts DROP CONSTRAINT {name};")


def test_if_exists_of_a_missing_constraint_is_a_noted_no_op(conn: psycopg.Connection) -> None:
    _with_constraints(conn)
    snapshot = introspect(conn)
    plan = plan_sql("ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_gone;", snapshot=snapshot)
    assert plan.steps == []
    assert any("line 1:" in note and "skipped" in note and "posts_gone" in note for note in plan.notes)
    with pytest.raises(PlanningError, match=r"constraint posts_gone of public\.posts is not in the schema"):
        plan_sql("ALTER TABLE posts DROP CONSTRAINT posts_gone;", snapshot=snapshot)

    twice = plan_sql(
        "ALTER TABLE posts DROP CONSTRAINT posts_score_range;\n"
        "ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_score_range;",
        snapshot=snapshot,
    )
    assert len(twice.steps) == 1 and any("dropped earlier in this file" in note for note in twice.notes)


def test_cascade_referenced_keys_and_constraints_of_the_same_file_are_refused(
    conn: psycopg.Connection,
) -> None:
    _with_constraints(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match="CASCADE also drops"):
        plan_sql("ALTER TABLE posts DROP CONSTRAINT posts_title_key CASCADE;", snapshot=snapshot)
    with pytest.raises(PlanningError, match="authors_pkey is the key foreign key posts_author_id_fkey"):
        plan_sql("ALTER TABLE authors DROP CONSTRAINT authors_pkey;", snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"line 2: posts_new is added to public\.posts earlier in this file"
    ):
        plan_sql(
            "ALTER TABLE posts ADD CONSTRAINT posts_new CHECK (score > -1) NOT VALID;\n"
            "ALTER TABLE posts DROP CONSTRAINT posts_new;",
            snapshot=snapshot,
        )


def test_a_constraint_of_a_new_table_needs_no_rollback() -> None:
    plan = plan_sql(
        "CREATE TABLE tags (id bigint PRIMARY KEY, name text CONSTRAINT tags_name_check CHECK (name <> ''));"
        "\n"
        "ALTER TABLE tags DROP CONSTRAINT tags_name_check;"
    )
    step = plan.steps[-1]
    assert step.phase is Phase.EXPAND and step.rollback.not_needed
    assert check_plan(plan) == []
