"""Already-safe statements run as written, verified, and roll back to the exact prior schema."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import execute, undo
from zdt.plan.check import check_plan, stamp
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

SAFE = [
    "CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)",
    "ALTER TABLE posts ADD COLUMN subtitle text",
    "ALTER TABLE posts ADD COLUMN score int NOT NULL DEFAULT 0",
    "ALTER TABLE posts ALTER COLUMN title TYPE varchar(200)",
    "ALTER TABLE posts ALTER COLUMN title TYPE text",
    "ALTER TABLE posts ALTER COLUMN body SET DEFAULT ''",
    "ALTER TABLE posts ADD CONSTRAINT posts_title_len CHECK (length(title) > 0) NOT VALID",
    "CREATE VIEW recent AS SELECT id, title FROM posts",
    "CREATE TYPE mood AS ENUM ('happy', 'sad')",
]  # COMMENT ON: the comment-on recipe (tests/recipes/test_comment_on.py)


@pytest.fixture
def posts(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title varchar(50) NOT NULL, body text)")
    conn.execute("INSERT INTO posts SELECT g, 't' || g, 'b' FROM generate_series(1, 500) g")
    return conn


@pytest.mark.parametrize("statement", SAFE)
def test_safe_statement_applies_verifies_and_rolls_back(
    statement: str, posts: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    snapshot = introspect(posts)
    before = snapshot.fingerprint()
    checksum = table_checksum(database_url, "public.posts", ["id", "title", "body"])
    plan = plan_sql(statement + ";", snapshot=snapshot)
    assert [step.recipe for step in plan.steps] == ["pass-through"]
    assert plan.steps[0].sql == [statement]
    assert check_plan(plan, snapshot) == []
    plan = stamp(plan, snapshot)
    execute(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) != before
    assert table_checksum(database_url, "public.posts", ["id", "title", "body"]) == checksum
    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_type_change_needs_the_current_schema() -> None:
    with pytest.raises(PlanningError, match=r"public\.posts\.title to text, zdt needs the current schema"):
        plan_sql("ALTER TABLE posts ALTER COLUMN title TYPE text;")


def test_a_table_the_plan_creates_takes_any_alter_as_written(
    posts: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    snapshot = introspect(posts)
    sql = (
        "CREATE TABLE queues (id bigint PRIMARY KEY, name text, consumers text);\n"
        "ALTER TABLE queues ALTER COLUMN name SET NOT NULL;\n"
        "ALTER TABLE queues DROP COLUMN IF EXISTS consumers;\n"
    )
    plan = stamp(plan_sql(sql, snapshot=snapshot), snapshot)
    assert [(step.phase.value, step.sql[0].split()[-1]) for step in plan.steps] == [
        ("expand", "text)"),
        ("expand", "NULL"),
        ("contract", "consumers"),  # the SQL policy keeps every DROP COLUMN in contract
    ]
    assert all(step.recipe == "pass-through" for step in plan.steps)
    execute(database_url, plan, log_dir=tmp_path)
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT attname::text, attnotnull FROM pg_attribute WHERE attrelid = 'queues'::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ).fetchall()
    assert columns == [("id", True), ("name", True)]
    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == snapshot.fingerprint()


@pytest.mark.parametrize("statement", ["ANALYZE posts (title)", "SELECT 1", "SELECT lower('A') AS a"])
def test_statements_that_change_nothing_run_as_written_with_nothing_to_undo(
    statement: str, posts: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    snapshot = introspect(posts)
    plan = stamp(plan_sql(statement + ";", snapshot=snapshot), snapshot)
    [step] = plan.steps
    assert step.sql == [statement] and step.rollback.not_needed
    assert execute(database_url, plan, log_dir=tmp_path).ok
    assert fingerprint(database_url) == snapshot.fingerprint()


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("VACUUM posts", "zdt has no recipe for VACUUM in a migration: run it outside the migration"),
        ("SELECT setval('posts_id_seq', 10)", "this SELECT calls a volatile function (setval)"),
        ("CREATE SCHEMA IF NOT EXISTS utils", "cannot be undone safely: create the schema plainly"),
    ],
)
def test_what_could_change_data_unseen_or_be_undone_wrongly_is_refused(
    statement: str, reason: str, posts: psycopg.Connection
) -> None:
    with pytest.raises(PlanningError, match=re.escape(reason)):
        plan_sql(statement + ";", snapshot=introspect(posts))


@pytest.mark.parametrize(
    ("statement", "present"),
    [
        (
            "CREATE TYPE semver_triple AS (major int4, minor int4, teeny int4)",
            "SELECT count(*) FROM pg_type WHERE typname = 'semver_triple' AND typtype = 'c'",
        ),
        ("CREATE SCHEMA utils", "SELECT count(*) FROM pg_namespace WHERE nspname = 'utils'"),
    ],
)
def test_a_composite_type_and_a_schema_are_created_verified_and_dropped_again(
    statement: str, present: str, posts: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """The schema fingerprint does not cover composite types or empty schemas: the catalogue is asked."""
    snapshot = introspect(posts)
    plan = stamp(plan_sql(statement + ";", snapshot=snapshot), snapshot)
    assert [step.recipe for step in plan.steps] == ["pass-through"]
    assert execute(database_url, plan, log_dir=tmp_path).ok
    assert posts.execute(present).fetchone() == (1,)
    undo(database_url, plan, log_dir=tmp_path)
    assert posts.execute(present).fetchone() == (0,)
