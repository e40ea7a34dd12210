"""rename-table: ALTER TABLE ... RENAME TO becomes a view under the new name until contract renames the table.

What is proven here, on a real server: both names answer reads and writes (RETURNING and the table's
defaults included) between expand and contract, through server-side prepared statements; the contract
leaves exactly the plain rename's schema and the new release's prepared statements keep working across
it; undoing the contract restores the transition state and undoing everything the original schema; a
later statement of the same plan about either name is refused with its line; renames of what the plan
itself creates, and of a live table's indexes and constraints, pass through with a rename back as rollback.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, steps_in, undo
from zdt.db.scratch import scratch_database
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

RENAME = "ALTER TABLE posts RENAME TO articles;"


def _prepared(conn: psycopg.Connection, query: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
    """Run ``query`` as a server-side prepared statement (psycopg's prepare=True), as drivers do."""
    return conn.execute(query, params, prepare=True).fetchall()


def test_both_names_work_until_contract_then_the_new_one_is_the_table(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    before = fingerprint(database_url)
    planned = plan_against(database_url, RENAME)
    (view,) = steps_in(planned.plan, Phase.EXPAND)
    (swap,) = steps_in(planned.plan, Phase.CONTRACT)
    assert steps_in(planned.plan, Phase.MIGRATE) == []
    assert view.recipe == swap.recipe == "rename-table"

    old_release = psycopg.connect(database_url, autocommit=True)
    new_release = psycopg.connect(database_url, autocommit=True)
    try:
        read_old = "SELECT title FROM posts WHERE id = %s"
        assert _prepared(old_release, read_old, (1,)) == [("title 1",)]
        execute(database_url, planned.plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)

        # The old release, its statement prepared before expand, and the new one through the view.
        assert _prepared(old_release, read_old, (1,)) == [("title 1",)]
        read_new = "SELECT title FROM articles WHERE id = %s"
        assert _prepared(new_release, read_new, (1,)) == [("title 1",)]
        inserted = _prepared(
            new_release,
            "INSERT INTO articles (id, author_id, title) VALUES (%s, %s, %s) RETURNING score",
            (100_001, 1, "written through the view"),
        )
        assert inserted == [(0,)]  # the table's default, through the view
        assert _prepared(old_release, read_old, (100_001,)) == [("written through the view",)]
        old_release.execute("UPDATE posts SET title = 'edited by the old release' WHERE id = %s", (2,))
        assert _prepared(new_release, read_new, (2,)) == [("edited by the old release",)]

        execute(database_url, planned.plan, Phase.CONTRACT, log_dir=tmp_path)
        assert _prepared(new_release, read_new, (2,)) == [("edited by the old release",)]
        assert (
            scalar(database_url, "SELECT relkind::text FROM pg_class WHERE oid = 'articles'::regclass") == "r"
        )
        with pytest.raises(psycopg.errors.UndefinedTable):
            old_release.execute(read_old, (1,))
    finally:
        old_release.close()
        new_release.close()

    undo(database_url, planned.plan, tmp_path)
    assert fingerprint(database_url) == before


def test_the_contract_leaves_the_plain_renames_schema(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, RENAME)
    with scratch_database(admin_url) as plain_url:
        with psycopg.connect(plain_url, autocommit=True) as plain:
            create_posts(plain)
            plain.execute(RENAME)
        expected = fingerprint(plain_url)
    execute(database_url, planned.plan, Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT, log_dir=tmp_path)
    assert fingerprint(database_url) == expected


@pytest.mark.parametrize(
    ("later", "named"),
    [
        ("ALTER TABLE articles ADD COLUMN summary text;", "public.articles"),
        ("CREATE TABLE posts (id bigint PRIMARY KEY);", "public.posts"),
        ("CREATE INDEX articles_title_idx ON articles (title);", "public.articles"),
        # harbor's 0004: a type change of the renamed table (its recipe used to answer "not in the schema")
        ("ALTER TABLE articles ALTER COLUMN score TYPE bigint;", "public.articles"),
    ],
)
def test_a_later_statement_about_either_name_is_refused_with_its_line(
    conn: psycopg.Connection, later: str, named: str
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError) as refused:
        plan_sql(f"{RENAME}\n{later}", snapshot=snapshot)
    message = str(refused.value)
    assert message.startswith("line 2: uses ")
    assert named in message
    assert "line 1 renames it only at contract" in message
    assert "a migration of its own, after this one is contracted" in message


def test_renames_of_what_the_plan_creates_are_undone_by_renaming_back(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    before = fingerprint(database_url)
    sql = """
        CREATE TABLE drafts (id bigint PRIMARY KEY, body text);
        ALTER TABLE drafts RENAME TO post_drafts;
        ALTER TABLE post_drafts RENAME COLUMN body TO text;
        ALTER INDEX posts_pkey RENAME TO posts_id_key;
    """
    planned = plan_against(database_url, sql)
    assert {step.recipe for step in planned.plan.steps} == {"pass-through"}
    execute(database_url, planned.plan, Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regclass('post_drafts') IS NOT NULL") is True
    assert scalar(database_url, "SELECT to_regclass('posts_id_key') IS NOT NULL") is True
    undo(database_url, planned.plan, tmp_path)
    assert fingerprint(database_url) == before


def test_renaming_a_live_sequence_is_refused_with_the_alternative(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SEQUENCE invoice_numbers")
    with pytest.raises(PlanningError) as refused:
        plan_sql("ALTER SEQUENCE invoice_numbers RENAME TO invoice_no;", snapshot=introspect(conn))
    message = str(refused.value)
    assert message.startswith("line 1: zdt has no recipe for renaming the existing sequence")
    assert "keep the old name" in message


def test_renaming_an_index_that_is_not_there_if_exists_changes_nothing_and_the_plan_still_matches(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    """crates.io's add_experimental_indexes: rename indexes made by hand in production (IF EXISTS), then
    create them IF NOT EXISTS for every other database. Where they were never made, the rename is a no-op."""
    create_posts(conn)
    before = fingerprint(database_url)
    sql = (
        "ALTER INDEX IF EXISTS made_by_hand RENAME TO posts_score_idx;\n"
        "CREATE INDEX IF NOT EXISTS posts_score_idx ON posts (score);"
    )
    planned = plan_against(database_url, sql)
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT, log_dir=tmp_path)
    assert scalar(database_url, "SELECT to_regclass('posts_score_idx') IS NOT NULL") is True
    undo(database_url, planned.plan, tmp_path)
    assert fingerprint(database_url) == before
