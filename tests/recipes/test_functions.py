"""functions: a new function goes in expand and is dropped on rollback; a replaced one gets its previous
definition back; a dropped one goes in contract and is re-created from the snapshot. The end state is
the file's, run as written."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

LABEL = (
    "CREATE FUNCTION post_label(post_id bigint) RETURNS text LANGUAGE sql STABLE "
    "AS $$ SELECT title FROM posts WHERE id = post_id $$"
)
TOUCH = (
    "CREATE FUNCTION touch_post() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN NEW.score := 1; RETURN NEW; END $$"
)


def _definition(url: str, signature: str) -> object:
    return scalar(url, "SELECT pg_get_functiondef(to_regprocedure(%s))", (signature,))


def test_new_function_and_procedure_are_created_in_expand_and_dropped_on_rollback(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = (
        "CREATE FUNCTION post_slug(post_id bigint, VARIADIC parts text[], OUT slug text) LANGUAGE sql STABLE "
        "AS $$ SELECT lower(title) FROM posts WHERE id = post_id $$;\n"
        "CREATE PROCEDURE tidy_posts(days integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM days; END $$;"
    )
    planned = plan_against(database_url, sql)
    slug, tidy = planned.plan.steps
    assert (slug.phase, tidy.phase) == (Phase.EXPAND, Phase.EXPAND)
    assert slug.lock is None and slug.tables == []
    assert slug.rollback.sql == ["DROP FUNCTION IF EXISTS public.post_slug(bigint, text[])"]
    assert tidy.rollback.sql == ["DROP PROCEDURE IF EXISTS public.tidy_posts(integer)"]

    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, slug.verify.sql) is True and scalar(database_url, tidy.verify.sql) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regprocedure('public.post_slug(bigint, text[])') IS NULL") is True
    assert scalar(database_url, "SELECT to_regprocedure('public.tidy_posts(integer)') IS NULL") is True
    assert fingerprint(database_url) == before
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_replaced_trigger_function_says_so_and_rollback_restores_the_previous_body(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(TOUCH)
    conn.execute(
        "CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch_post()"
    )
    previous = _definition(database_url, "public.touch_post()")
    sql = TOUCH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace("1;", "2;") + ";"
    planned = plan_against(database_url, sql)
    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.id == "s01-replace-function"
    assert "trigger function: every trigger using it runs the new body at once" in step.description
    assert step.lock is None
    assert step.rollback.sql == [previous]

    execute(database_url, planned.plan, log_dir=tmp_path)
    assert "NEW.score := 2" in str(_definition(database_url, "public.touch_post()"))
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _definition(database_url, "public.touch_post()") == previous
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_drop_is_contract_and_rollback_re_creates_it_from_the_snapshot(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(LABEL)
    conn.execute(
        "CREATE FUNCTION post_label(post_id bigint, prefix text) RETURNS text LANGUAGE sql "
        "AS $$ SELECT prefix $$"
    )
    previous = _definition(database_url, "public.post_label(bigint)")
    planned = plan_against(database_url, "DROP FUNCTION post_label(int8);")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.sql == [previous]

    before = fingerprint(database_url)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regprocedure('public.post_label(bigint)') IS NULL") is True
    assert (
        scalar(database_url, "SELECT to_regprocedure('public.post_label(bigint, text)') IS NOT NULL") is True
    )
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _definition(database_url, "public.post_label(bigint)") == previous
    assert fingerprint(database_url) == before
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_drop_without_arguments_finds_the_one_function_of_that_name(conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute(LABEL)
    (step,) = plan_sql("DROP FUNCTION post_label;", snapshot=introspect(conn)).steps
    assert step.rollback.sql and "post_label(post_id bigint)" in step.rollback.sql[0]
    assert "to_regprocedure('public.post_label(bigint)') IS NULL" in step.verify.sql


def test_without_a_snapshot_replace_is_refused_and_drop_is_irreversible() -> None:
    with pytest.raises(
        PlanningError, match=r"line 1: CREATE OR REPLACE FUNCTION public\.f\(integer\).*--database-url"
    ):
        plan_sql("CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;")
    plan = plan_sql("DROP FUNCTION f(integer);")
    (step,) = plan.steps
    assert step.phase is Phase.CONTRACT
    assert step.rollback.irreversible and "without a schema snapshot" in step.rollback.irreversible
    assert check_plan(plan) == []  # contract steps may be irreversible


def test_cascade_existing_name_and_type_references_are_refused(conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute(LABEL)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match="CASCADE also drops the triggers"):
        plan_sql("DROP FUNCTION post_label(bigint) CASCADE;", snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"public\.post_label\(bigint\) already exists: CREATE OR REPLACE"
    ):
        plan_sql(LABEL + ";", snapshot=snapshot)
    with pytest.raises(PlanningError, match="%TYPE"):
        plan_sql(
            "CREATE FUNCTION g(a posts.id%TYPE) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
            snapshot=snapshot,
        )


def test_a_function_created_then_replaced_in_one_file_rolls_back_completely(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = (
        "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 41 $$;\n"
        "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$;"
    )
    planned = plan_against(database_url, sql)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT answer()") == 42
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regprocedure('public.answer()') IS NULL") is True
