"""drop-column: contract-only, guarded by a catalog check that nothing uses the column, and honest that
its rollback is a restore from backup. A guard that finds a dependent stops the plan before the drop."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    SETTINGS,
    analyse_original,
    before_step,
    create_posts,
    execute,
    plan_against,
    run_plan,
    scalar,
    steps_in,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes import _dependents as dependents
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

UNTOUCHED = ["id", "author_id", "title", "score"]


def test_unused_column_is_dropped_in_contract_after_the_guard(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql = "ALTER TABLE posts DROP COLUMN body;"
    planned = plan_against(database_url, sql)

    (original,) = analyse_original(sql, planned.snapshot)
    assert any(f.rule == "dropping-column" for f in original.findings)

    guard, drop = planned.plan.steps
    assert {guard.phase, drop.phase} == {Phase.CONTRACT}
    assert steps_in(planned.plan, Phase.EXPAND, Phase.MIGRATE) == []  # nothing reversible to undo
    assert "application must have stopped using it" in guard.description
    assert drop.sql == ["ALTER TABLE posts DROP COLUMN body"]
    assert (
        drop.rollback.irreversible
        == "a dropped column's values cannot be read back: rollback means restore from backup"
    )

    checksum = table_checksum(database_url, "public.posts", UNTOUCHED)
    result = apply_plan(stamp(planned.plan, planned.snapshot), database_url, log_path=tmp_path / "log.md")
    assert result.ok, result.message
    assert scalar(database_url, checks.column_absent("public.posts", "body")) is True
    assert table_checksum(database_url, "public.posts", UNTOUCHED) == checksum


@pytest.mark.parametrize(
    ("dependent", "listed"),
    [
        (
            "CREATE STATISTICS posts_score_body ON score, body FROM posts",
            "statistics object posts_score_body",
        ),
        (
            "CREATE POLICY posts_with_body ON posts USING (body IS NOT NULL)",
            "policy posts_with_body on table posts",
        ),
    ],
)
def test_a_dependent_the_snapshot_does_not_show_stops_the_plan_before_the_drop(
    dependent: str, listed: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(dependent)
    planned = plan_against(database_url, "ALTER TABLE posts DROP COLUMN body;")  # plans: the guard decides
    before = fingerprint(database_url)

    plan = stamp(planned.plan, planned.snapshot)
    result = apply_plan(plan, database_url, log_path=tmp_path / "log.md")
    guard, _ = plan.steps
    assert not result.ok and result.failed_step == guard.id
    assert scalar(database_url, checks.column_exists("public.posts", "body")) is True
    assert fingerprint(database_url) == before
    assert scalar(database_url, dependents.list_column_dependents("public.posts", "body")) == [listed]


def test_what_goes_with_the_column_by_design_does_not_stop_it(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("ALTER TABLE posts ADD COLUMN slug text NOT NULL DEFAULT 'x' CHECK (slug <> '')")
    conn.execute("CREATE SEQUENCE posts_slug_seq OWNED BY posts.slug")
    planned = plan_against(database_url, "ALTER TABLE posts DROP COLUMN slug;")
    assert scalar(database_url, dependents.list_column_dependents("public.posts", "slug")) == []
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_absent("public.posts", "slug")) is True


AUTHOR_ID_USERS = """
ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES authors (id);
ALTER TABLE posts ADD CONSTRAINT posts_author_scored CHECK (author_id IS NOT NULL OR score = 0);
CREATE INDEX posts_author_id_idx ON posts (author_id);
CREATE INDEX posts_author_id_title_idx ON posts (author_id, title);
"""
NOT_AUTHOR = ["id", "title", "body", "score"]


def test_indexes_and_constraints_on_the_column_are_dropped_first_and_the_end_state_is_the_files(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(AUTHOR_ID_USERS)
    planned = plan_against(database_url, "ALTER TABLE posts DROP COLUMN author_id;")
    steps = planned.plan.steps
    assert [step.id for step in steps] == [
        "s01-drop-index-posts_author_id_idx",
        "s01-drop-index-posts_author_id_title_idx",
        "s01-drop-constraint-posts_author_id_fkey",
        "s01-drop-constraint-posts_author_scored",
        "s01-check-author_id-unused",
        "s01-drop-author_id",
    ]
    assert {step.phase for step in steps} == {Phase.CONTRACT}
    first_index, second_index, foreign_key, check, _, _ = steps
    assert first_index.sql == ['DROP INDEX CONCURRENTLY "public"."posts_author_id_idx"']
    assert first_index.transactional is False and first_index.lock is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert first_index.rollback.sql == [
        'DROP INDEX CONCURRENTLY IF EXISTS "public"."posts_author_id_idx"',
        "CREATE INDEX CONCURRENTLY posts_author_id_idx ON public.posts (author_id)",
    ]
    assert "would otherwise go silently with it" in second_index.description
    assert foreign_key.sql == ['ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_id_fkey"']
    assert foreign_key.tables == ["public.posts", "public.authors"]
    assert foreign_key.rollback.sql is not None and len(foreign_key.rollback.sql) == 3  # NOT VALID, VALIDATE
    assert check.rollback.sql is not None and "NOT VALID" in check.rollback.sql[1]
    assert "catches what changed since planning" in steps[-2].description

    proof = prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path / "proof", server_url=admin_url
    )
    assert proof.proven, proof.summary()

    checksum = table_checksum(database_url, "public.posts", NOT_AUTHOR)
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_absent("public.posts", "author_id")) is True
    assert table_checksum(database_url, "public.posts", NOT_AUTHOR) == checksum


def test_a_failed_guard_rolls_the_index_and_constraint_drops_back(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(AUTHOR_ID_USERS)
    planned = plan_against(database_url, "ALTER TABLE posts DROP COLUMN author_id;")
    before = fingerprint(database_url)
    guard = planned.plan.steps[-2]
    statistics = "CREATE STATISTICS posts_author_score ON author_id, score FROM posts"  # not in the snapshot
    result = run_plan(
        database_url,
        planned.plan,
        log_dir=tmp_path,
        on_event=before_step(guard, lambda: execute_sql(database_url, statistics)),
    )
    assert not result.ok and result.failed_step == guard.id
    assert scalar(database_url, checks.relation_absent("public.posts_author_id_idx")) is True
    execute_sql(database_url, "DROP STATISTICS posts_author_score")

    undo(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.index_valid("public.posts_author_id_idx")) is True
    assert scalar(database_url, checks.index_valid("public.posts_author_id_title_idx")) is True
    assert fingerprint(database_url) == before  # indexes and constraints back exactly as they were


def test_an_index_on_two_dropped_columns_is_dropped_once(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("CREATE INDEX posts_title_body_idx ON posts (title) INCLUDE (body)")
    planned = plan_against(database_url, "ALTER TABLE posts DROP COLUMN title, DROP COLUMN body;")
    drops = [
        step.id for step in planned.plan.steps if step.id.startswith(("s01-drop-index", "s02-drop-index"))
    ]
    assert drops == ["s01-drop-index-posts_title_body_idx", "s01-drop-index-posts_title_idx"]
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, checks.column_absent("public.posts", "body")) is True


def test_later_statements_know_the_constraints_went_with_the_column(conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute(AUTHOR_ID_USERS)
    plan = plan_sql(
        "ALTER TABLE posts DROP COLUMN author_id;\n"
        "ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_author_id_fkey;",
        snapshot=introspect(conn),
    )
    assert [step.id for step in plan.steps if step.id.startswith("s02")] == []
    assert any(
        "posts_author_id_fkey of public.posts is dropped earlier in this file" in n for n in plan.notes
    )


@pytest.mark.parametrize(
    ("schema", "column", "refusal"),
    [
        ("", "id", r"the PRIMARY KEY posts_pkey includes it, and zdt will not drop a key silently"),
        (
            "ALTER TABLE posts ADD CONSTRAINT posts_title_body_key UNIQUE (title, body)",
            "body",
            r"the UNIQUE constraint posts_title_body_key includes it.*"
            r"ALTER TABLE public\.posts DROP CONSTRAINT posts_title_body_key first",
        ),
        (
            "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title); "
            "CREATE TABLE notes (title text REFERENCES posts (title))",
            "title",
            r"foreign key notes_title_fkey of public\.notes references it \(PostgreSQL refuses the drop "
            r"without CASCADE\): write ALTER TABLE public\.notes DROP CONSTRAINT notes_title_fkey first",
        ),
        (
            "CREATE VIEW post_bodies AS SELECT id, body FROM posts",
            "body",
            r"view public\.post_bodies reads it \(PostgreSQL refuses.*"
            r"write DROP VIEW public\.post_bodies first",
        ),
        (
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
            "CREATE TRIGGER posts_body_changed BEFORE UPDATE OF body ON posts "
            "FOR EACH ROW EXECUTE FUNCTION touch()",
            "body",
            r"trigger posts_body_changed uses it.*DROP TRIGGER posts_body_changed ON public\.posts first",
        ),
        (
            "ALTER TABLE posts ADD COLUMN body_length integer GENERATED ALWAYS AS (length(body)) STORED",
            "body",
            r"generated column body_length is computed from it.*DROP COLUMN body_length first",
        ),
    ],
)
def test_what_zdt_or_postgresql_will_not_drop_with_the_column_is_refused_at_planning(
    schema: str, column: str, refusal: str, conn: psycopg.Connection
) -> None:
    create_posts(conn)
    if schema:
        conn.execute(schema)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match=rf"line 2: cannot drop public\.posts\.{column}: .*{refusal}"):
        plan_sql(
            f"-- the release stopped using it\nALTER TABLE posts DROP COLUMN {column};", snapshot=snapshot
        )


def test_a_view_that_does_not_read_the_column_does_not_stop_it(conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute("CREATE VIEW post_titles AS SELECT id, title FROM posts")
    plan = plan_sql("ALTER TABLE posts DROP COLUMN body;", snapshot=introspect(conn))
    assert [step.id for step in plan.steps] == ["s01-check-body-unused", "s01-drop-body"]


def test_cascade_is_refused_with_or_without_a_snapshot(conn: psycopg.Connection) -> None:
    create_posts(conn)
    for snapshot in (introspect(conn), None):
        with pytest.raises(
            PlanningError, match=r"line 1: DROP COLUMN body \.\.\. CASCADE also drops, unseen"
        ):
            plan_sql("ALTER TABLE posts DROP COLUMN body CASCADE;", snapshot=snapshot)


def test_without_a_snapshot_the_guard_alone_decides_and_says_so() -> None:
    guard, drop = plan_sql("ALTER TABLE posts DROP COLUMN author_id;").steps
    assert "without a schema snapshot zdt cannot see them at planning time" in guard.description
    assert drop.sql == ["ALTER TABLE posts DROP COLUMN author_id"]


def execute_sql(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def test_a_key_dropped_earlier_in_the_file_is_not_dropped_again_with_its_column(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """conductor's V5__new_queue_message_pk: drop the id key, then the id column, then key on others."""
    conn.execute(
        "CREATE TABLE queue_message (id bigint PRIMARY KEY, queue_name text NOT NULL, "
        "message_id text NOT NULL)"
    )
    conn.execute("INSERT INTO queue_message SELECT g, 'q', 'm' || g FROM generate_series(1, 12000) g")
    conn.execute("ANALYZE queue_message")
    sql = (
        "ALTER TABLE queue_message DROP CONSTRAINT IF EXISTS queue_message_pkey;\n"
        "ALTER TABLE queue_message DROP COLUMN IF EXISTS id;\n"
        "ALTER TABLE queue_message ADD PRIMARY KEY (queue_name, message_id);\n"
    )
    with psycopg.connect(database_url) as reader:
        snapshot = introspect(reader)
    plan = plan_sql(sql, snapshot=snapshot, settings=SETTINGS)
    assert not any("drop-index-queue_message_pkey" in step.id for step in plan.steps)
    outcome = prove_equivalence(plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert outcome.proven, outcome.summary()
