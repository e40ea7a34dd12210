"""comment-on: COMMENT ON any object of the schema runs as written in expand, verified in the catalog the
object type keeps its comment in; comments on shared or unsupported objects are refused with the line."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.plan.model import Phase
from zdt.recipes.comment_on import NOT_NEEDED
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

OBJECTS = """
CREATE SCHEMA reports;
CREATE VIEW post_titles AS SELECT id, title FROM posts;
CREATE SEQUENCE ticket_numbers;
CREATE FUNCTION post_score(bigint, integer) RETURNS integer LANGUAGE sql AS 'SELECT $2';
CREATE PROCEDURE touch_post(bigint) LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE total_score(integer) (sfunc = int4pl, stype = integer);
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive AS integer CONSTRAINT positive_check CHECK (VALUE > 0);
ALTER TABLE posts ADD CONSTRAINT posts_score_check CHECK (score >= 0);
CREATE FUNCTION posts_touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION posts_touch();
CREATE POLICY posts_mine ON posts USING (author_id = 1);
"""

COMMENTS = [
    "COMMENT ON COLUMN posts.title IS 'shown in lists'",
    "COMMENT ON TABLE posts IS 'what authors write'",
    "COMMENT ON INDEX posts_title_idx IS 'for the title search'",
    "COMMENT ON VIEW post_titles IS 'titles only'",
    "COMMENT ON SEQUENCE ticket_numbers IS 'support tickets'",
    "COMMENT ON SCHEMA reports IS 'read by the reporting job'",
    "COMMENT ON FUNCTION post_score(bigint, integer) IS 'the score of a post'",
    "COMMENT ON FUNCTION post_score IS 'the score of a post, named without its arguments'",
    "COMMENT ON PROCEDURE touch_post(bigint) IS 'marks a post as seen'",
    "COMMENT ON AGGREGATE total_score(integer) IS 'sum of scores'",
    "COMMENT ON TYPE mood IS 'how a reader felt'",
    "COMMENT ON DOMAIN positive IS 'greater than zero'",
    "COMMENT ON CONSTRAINT posts_score_check ON posts IS 'scores never go negative'",
    "COMMENT ON CONSTRAINT positive_check ON DOMAIN positive IS 'the domain''s own check'",
    "COMMENT ON TRIGGER posts_touch ON posts IS 'keeps updated_at current'",
    "COMMENT ON POLICY posts_mine ON posts IS 'an author sees their posts'",
    "COMMENT ON EXTENSION plpgsql IS 'procedural language'",
]


@pytest.mark.parametrize("statement", COMMENTS)
def test_a_comment_on_each_kind_of_object_is_verified_in_its_catalog(
    statement: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(OBJECTS)
    plan = plan_against(database_url, statement + ";").plan
    (step,) = plan.steps
    assert (step.phase, step.recipe, step.sql) == (Phase.EXPAND, "comment-on", [statement])
    assert step.rollback.not_needed == NOT_NEEDED
    assert scalar(database_url, step.verify.sql) is False  # not there yet: the check can fail

    before = fingerprint(database_url)
    execute(database_url, plan, log_dir=tmp_path)  # the executor runs the verification itself
    assert scalar(database_url, step.verify.sql) is True
    undo(database_url, plan, tmp_path)  # nothing to undo, and the schema is as it was
    assert fingerprint(database_url) == before


def test_removing_a_comment_is_verified_as_no_comment(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("COMMENT ON COLUMN posts.body IS 'markdown'")
    for removal in ("COMMENT ON COLUMN posts.body IS NULL;", "COMMENT ON COLUMN posts.body IS '';"):
        plan = plan_against(database_url, removal).plan
        (step,) = plan.steps
        assert step.description == "remove the comment of column public.posts.body"
        assert scalar(database_url, step.verify.sql) is False
        execute(database_url, plan, log_dir=tmp_path / removal[-5:-1])
        assert scalar(database_url, "SELECT col_description('posts'::regclass, 4)") is None
        conn.execute("COMMENT ON COLUMN posts.body IS 'markdown'")


def test_comments_on_objects_the_plan_creates_end_as_the_file_does(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = """
        CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
        COMMENT ON TABLE tags IS 'labels on posts';
        COMMENT ON COLUMN tags.name IS 'unique per post';
        CREATE INDEX tags_name_idx ON tags (name);
        COMMENT ON INDEX tags_name_idx IS 'lookup by name';
    """
    planned = plan_against(database_url, sql)
    assert [step.recipe for step in planned.plan.steps] == [
        "pass-through",
        "comment-on",
        "comment-on",
        "pass-through",
        "comment-on",
    ]
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT obj_description('tags_name_idx'::regclass, 'pg_class')") == (
        "lookup by name"
    )


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("COMMENT ON DATABASE postgres IS 'x';", "a comment on a database is cluster-wide"),
        ("COMMENT ON ROLE postgres IS 'x';", "a comment on a role is cluster-wide"),
        ("COMMENT ON CAST (integer AS text) IS 'x';", "cannot look up a comment on cast objects"),
        ("COMMENT ON OPERATOR + (integer, integer) IS 'x';", "cannot look up a comment on operator objects"),
        ("COMMENT ON AGGREGATE total_score(*) IS 'x';", "name the argument types of aggregate total_score"),
    ],
)
def test_comments_zdt_cannot_verify_are_refused_with_their_line(
    statement: str, reason: str, conn: psycopg.Connection
) -> None:
    create_posts(conn)
    with pytest.raises(PlanningError, match=r"^line 2: .*" + re.escape(reason)):
        plan_sql(f"COMMENT ON TABLE posts IS 'fine';\n{statement}", snapshot=introspect(conn))
