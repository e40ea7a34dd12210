"""data-change: an INSERT whose keys it lists runs in migrate and is deleted again on rollback; one whose
rows cannot be told apart is contract and irreversible; its rows are verified by re-running them EXCEPT
the table where that is a proof. A DELETE is contract and irreversible, in key-range batches on a large
table."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.recipes.lifecycle import (
    ROWS,
    create_posts,
    execute,
    plan_against,
    scalar,
    undo,
)
from zdt.plan.model import Phase
from zdt.recipes.data_change import DELETED, NEW_TABLE, NOT_IDENTIFIABLE, SMALL_DELETE_TIMEOUT_MS
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect


def test_an_insert_of_listed_keys_is_migrate_and_deleted_again_on_rollback(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "INSERT INTO authors (id, name) VALUES (1001, 'ann'), (1002, 'bob');"
    planned = plan_against(database_url, sql)
    (step,) = planned.plan.steps
    assert (step.phase, step.recipe, step.sql) == (Phase.MIGRATE, "data-change", [sql.rstrip(";")])
    assert step.rollback.sql == ['DELETE FROM "public"."authors" WHERE "id" IN (1001, 1002)']
    assert scalar(database_url, step.verify.sql) is False

    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM authors") == 102
    undo(database_url, planned.plan, tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM authors WHERE id > 1000") == 0
    assert scalar(database_url, "SELECT count(*) FROM authors") == 100


def test_an_insert_select_is_verified_by_its_rows_except_the_table_and_is_irreversible(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "INSERT INTO authors (id, name) SELECT 1000 + id, 'guest ' || id FROM posts WHERE id <= 50;"
    plan = plan_against(database_url, sql).plan
    (step,) = plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.irreversible == NOT_IDENTIFIABLE
    assert " EXCEPT SELECT id, name FROM public.authors" in step.verify.sql
    assert scalar(database_url, step.verify.sql) is False
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    conn.execute("DELETE FROM authors WHERE id = 1007")
    assert scalar(database_url, step.verify.sql) is False  # a missing row is noticed


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("INSERT INTO authors (id, name) SELECT 2000 + id, now()::text FROM posts LIMIT 3;", "volatile"),
        (
            "INSERT INTO authors (id, name) SELECT id + 500, name FROM authors;",
            "the SELECT reads public.authors",
        ),
        ("INSERT INTO authors (id, name) VALUES (5, 'x') ON CONFLICT DO NOTHING;", "ON CONFLICT"),
    ],
)
def test_rows_that_a_rerun_would_not_give_again_verify_only_the_success(
    sql: str, why: str, conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, sql).plan
    (step,) = plan.steps
    if "ON CONFLICT" in sql:  # the key is listed: the check is that it exists, the undo is refused
        assert step.verify.description == "its 1 keys exist"
    else:
        assert why in step.verify.description and "only its success is verified" in step.verify.description
    assert step.phase is Phase.CONTRACT and step.rollback.irreversible == NOT_IDENTIFIABLE


def test_an_insert_into_a_table_the_plan_creates_is_expand(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = """
        CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
        INSERT INTO tags (id, name) SELECT g, 'tag ' || g FROM generate_series(1, 20) g;
    """
    planned = plan_against(database_url, sql)
    _, insert = planned.plan.steps
    assert (insert.phase, insert.rollback.not_needed) == (Phase.EXPAND, NEW_TABLE)
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM tags") == 20


def test_a_delete_of_a_large_table_runs_in_key_range_batches(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "DELETE FROM posts USING authors WHERE authors.id = posts.author_id AND authors.name = 'author 3';"
    planned = plan_against(database_url, sql)
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.irreversible == DELETED
    assert step.backfill is not None and step.backfill.delete and step.backfill.from_sql == "authors"
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    expected = ROWS - scalar(database_url, "SELECT count(*) FROM posts WHERE author_id = 3")  # type: ignore[operator]
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM posts") == expected
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE author_id = 3") == 0


def test_a_delete_of_a_small_table_is_one_statement_under_a_timeout(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, "DELETE FROM authors WHERE id > 90;").plan
    (step,) = plan.steps
    assert step.backfill is None and step.sql == ["DELETE FROM authors WHERE id > 90"]
    assert step.timeouts.statement_timeout_ms == SMALL_DELETE_TIMEOUT_MS
    conn.execute("ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_author_id_fkey")
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM authors") == 90


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM posts WHERE score > 3 RETURNING id;", "RETURNING"),
        (
            "DELETE FROM posts p WHERE EXISTS (SELECT 1 FROM authors p WHERE p.id = 1);",
            "the alias p of posts cannot be spelled out for the batches: p is also a name inside",
        ),
        ("DELETE FROM ONLY posts WHERE score > 3;", "ONLY"),
        (
            "DELETE FROM posts USING posts p2 WHERE p2.id = posts.id + 1;",
            "a USING list that reads public.posts",
        ),
        ("DELETE FROM posts_copy WHERE score > 3;", "public.posts_copy has no single-column primary key"),
    ],
)
def test_deletes_batches_cannot_express_are_refused_with_their_line(
    sql: str, reason: str, conn: psycopg.Connection
) -> None:
    create_posts(conn)
    conn.execute("CREATE TABLE posts_copy AS SELECT * FROM posts; ANALYZE posts_copy")
    with pytest.raises(PlanningError, match=r"^line 2: .*" + re.escape(reason)):
        plan_sql(f"ALTER TABLE posts ADD COLUMN note text;\n{sql}", snapshot=introspect(conn))


def test_a_delete_with_a_table_alias_runs_as_the_statement_would(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    kept = "SELECT count(*) FROM posts WHERE NOT (author_id < 50 AND score > 3)"
    expected = scalar(database_url, kept)
    sql = "DELETE FROM posts AS p USING authors a WHERE a.id = p.author_id AND a.id < 50 AND p.score > 3;"
    plan = plan_against(database_url, sql).plan
    [delete] = [step for step in plan.steps if step.backfill is not None]
    assert delete.backfill is not None and "p." not in (delete.backfill.where_sql or "")

    execute(database_url, plan, log_dir=tmp_path)

    assert scalar(database_url, "SELECT count(*) FROM posts") == expected
