"""The planner: what it drops, how it splits, how it orders phases, and how it refuses."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import execute, undo
from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect


def test_transaction_control_and_timeouts_are_left_to_the_executor() -> None:
    plan = plan_sql("BEGIN;\nSET lock_timeout = '5s';\nCREATE TABLE t (id bigint);\nCOMMIT;")
    assert [step.sql for step in plan.steps] == [["CREATE TABLE t (id bigint)"]]
    assert len(plan.notes) == 3 and all("dropped" in note for note in plan.notes)


def test_alter_table_is_split_into_one_step_per_change() -> None:
    plan = plan_sql("ALTER TABLE posts ADD COLUMN a int, ADD COLUMN b text;")
    assert [step.sql for step in plan.steps] == [
        ["ALTER TABLE posts ADD COLUMN a integer"],
        ["ALTER TABLE posts ADD COLUMN b text"],
    ]


def test_unsafe_index_becomes_concurrent_outside_a_transaction() -> None:
    (step,) = plan_sql("CREATE INDEX posts_a ON posts (a);").steps
    assert step.sql == ["CREATE INDEX CONCURRENTLY posts_a ON posts (a)"]
    assert step.transactional is False
    assert step.on_failure_sql == ['DROP INDEX CONCURRENTLY IF EXISTS "public"."posts_a"']


def test_unnamed_index_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"line 2: give the index on public\.posts a name"):
        plan_sql("CREATE TABLE t (id int);\nCREATE INDEX ON posts (a);")


def test_statement_without_recipe_is_refused_clearly() -> None:
    with pytest.raises(PlanningError, match="line 1: zdt has no recipe for CreateRoleStmt"):
        plan_sql("CREATE ROLE reporting;")


def test_do_block_that_cannot_be_analysed_is_refused_with_its_line() -> None:
    """A DO block is planned only once every statement in it is known: SQL it builds at run time is
    refused at the line of the EXECUTE, inside the block, not silently run."""
    with pytest.raises(PlanningError, match=r"line 4: the DO block runs SQL built at run time"):
        plan_sql("CREATE TABLE t (id int);\nDO $$\nBEGIN\n  EXECUTE 'DROP TABLE ' || 't';\nEND $$;")


def test_plan_applies_and_rolls_back_to_the_same_fingerprint(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, a int, title text)")
    conn.execute("INSERT INTO posts SELECT g, g % 7, 't' || g FROM generate_series(1, 3000) g")
    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", ["id", "a", "title"])
    snapshot = introspect(conn)
    plan = plan_sql(
        "CREATE INDEX posts_a ON posts (a);\n"
        "ALTER TABLE posts ADD COLUMN flag boolean DEFAULT false, ADD COLUMN note text;\n"
        "CREATE TABLE tags (id bigint PRIMARY KEY, post_id bigint REFERENCES posts (id));\n",
        snapshot=snapshot,
    )
    assert {step.phase for step in plan.steps} == {Phase.EXPAND}
    plan = stamp(plan, snapshot)
    execute(database_url, plan, log_dir=tmp_path)
    assert table_checksum(database_url, "public.posts", ["id", "a", "title"]) == checksum
    assert fingerprint(database_url) != before
    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_every_refusal_names_its_line() -> None:
    """A recipe's refusal without a position still reaches the user with the statement's line."""
    sql = "CREATE TABLE t (id int);\n\nALTER TABLE t ADD CHECK (id > 0);"
    with pytest.raises(PlanningError, match=r"^line 3: "):
        plan_sql(sql)


def test_a_statement_using_a_column_an_earlier_type_change_renames_is_refused(
    conn: psycopg.Connection, database_url: str
) -> None:
    """crates.io's use_jsonb_for_features: the type change ends with features_zdt_new, so the next
    statement's ``features`` would not exist when it runs; the refusal says why and what to write."""
    conn.execute("CREATE TABLE versions (id bigint PRIMARY KEY, features text)")
    conn.execute("INSERT INTO versions SELECT g, '{}' FROM generate_series(1, 12000) g")
    conn.execute("ANALYZE versions")
    sql = (
        "ALTER TABLE versions ALTER COLUMN features SET DATA TYPE jsonb USING features::jsonb;\n"
        "ALTER TABLE versions ALTER COLUMN features SET DEFAULT '{}';\n"
    )
    with psycopg.connect(database_url) as reader:
        snapshot = introspect(reader)
    with pytest.raises(PlanningError, match=r"^line 2: uses column public\.versions\.features, but line 1 "):
        plan_sql(sql, snapshot=snapshot)
