"""Already-safe statements run as written, verified, and roll back to the exact prior schema."""

from __future__ import annotations

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
