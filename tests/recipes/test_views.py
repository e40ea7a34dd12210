"""views: replacing an existing view is expand and its rollback brings the previous query back (by OR
REPLACE when the columns stay, else DROP + CREATE with options and grants); dropping a view or a
materialized view is contract, re-created from the snapshot. The end state is the file's, as written."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.analysis.locks import LockMode
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

RECENT = "CREATE VIEW recent_posts WITH (security_barrier) AS SELECT id, title FROM posts WHERE id > 100"


def _viewdef(url: str, view: str) -> object:
    return scalar(url, "SELECT pg_get_viewdef(to_regclass(%s))", (view,))


def _shape(url: str, view: str) -> tuple[object, ...]:
    """What the fingerprint does not hold: the query, options and grants of the view."""
    with psycopg.connect(url) as conn:
        info = introspect(conn).views[view]
    return (info.definition, info.options, info.grants)


@pytest.fixture
def posts_with_view(conn: psycopg.Connection) -> psycopg.Connection:
    create_posts(conn)
    conn.execute(RECENT)
    conn.execute("GRANT SELECT ON recent_posts TO PUBLIC")
    return conn


def test_same_columns_roll_back_with_or_replace(
    posts_with_view: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    before, shape = fingerprint(database_url), _shape(database_url, "public.recent_posts")
    planned = plan_against(
        database_url, "CREATE OR REPLACE VIEW recent_posts AS SELECT id, title FROM posts WHERE id > 200;"
    )
    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.recipe == "views"
    assert step.lock is LockMode.ACCESS_EXCLUSIVE and "public.recent_posts" in step.tables
    assert len(step.rollback.sql) == 1 and step.rollback.sql[0].startswith(
        'CREATE OR REPLACE VIEW "public"."recent_posts" WITH (security_barrier=true) AS'
    )
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert "200" in str(_viewdef(database_url, "public.recent_posts"))
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before and _shape(database_url, "public.recent_posts") == shape
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_added_column_rolls_back_with_drop_and_create_keeping_options_and_grants(
    posts_with_view: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    before, shape = fingerprint(database_url), _shape(database_url, "public.recent_posts")
    planned = plan_against(
        database_url,
        "CREATE OR REPLACE VIEW recent_posts AS SELECT id, title, score FROM posts WHERE id > 100;",
    )
    (step,) = planned.plan.steps
    assert step.rollback.sql[0] == 'DROP VIEW "public"."recent_posts"'
    assert step.rollback.sql[-1] == "GRANT SELECT ON public.recent_posts TO PUBLIC"
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) != before  # the view has a column more
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before and _shape(database_url, "public.recent_posts") == shape
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_drop_view_is_contract_and_re_created_on_rollback(
    posts_with_view: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    posts_with_view.execute("CREATE VIEW recent_titles AS SELECT title FROM recent_posts")
    before, shape = fingerprint(database_url), _shape(database_url, "public.recent_posts")
    planned = plan_against(database_url, "DROP VIEW recent_posts, recent_titles;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.lock is LockMode.ACCESS_EXCLUSIVE
    # recent_titles is built on recent_posts: re-created after it, whatever the statement's order
    assert [
        statement.split(" AS ")[0] for statement in step.rollback.sql if statement.startswith("CREATE")
    ] == [
        'CREATE VIEW "public"."recent_posts" WITH (security_barrier=true)',
        'CREATE VIEW "public"."recent_titles"',
    ]
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before and _shape(database_url, "public.recent_posts") == shape
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_drop_materialized_view_comes_back_filled_with_its_indexes(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(
        "CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS n FROM posts GROUP BY 1"
    )
    conn.execute("CREATE UNIQUE INDEX post_counts_author ON post_counts (author_id)")
    before = fingerprint(database_url)
    planned = plan_against(database_url, "DROP MATERIALIZED VIEW post_counts;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.id == "s01-drop-materialized-view"
    assert step.rollback.sql[0].endswith("WITH DATA")
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before  # the unique index is back too
    assert scalar(database_url, "SELECT sum(n) FROM post_counts") == 12_000
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_dependent_views_cascade_and_unknown_definitions_are_refused(
    posts_with_view: psycopg.Connection,
) -> None:
    posts_with_view.execute("CREATE VIEW recent_titles AS SELECT title FROM recent_posts")
    snapshot = introspect(posts_with_view)
    with pytest.raises(
        PlanningError, match=r"CASCADE also drops the views depending on it \(public\.recent_titles\)"
    ):
        plan_sql("DROP VIEW recent_posts CASCADE;", snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"views depend on public\.recent_posts \(public\.recent_titles\)"
    ):
        plan_sql("DROP VIEW recent_posts;", snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"would have to DROP and re-create it, which the views depending on it"
    ):
        plan_sql(
            "CREATE OR REPLACE VIEW recent_posts AS SELECT id, title, score FROM posts;", snapshot=snapshot
        )
    with pytest.raises(
        PlanningError, match=r"line 1: CREATE OR REPLACE VIEW public\.recent_posts.*--database-url"
    ):
        plan_sql("CREATE OR REPLACE VIEW recent_posts AS SELECT id, title FROM posts;")


def test_without_a_snapshot_drop_view_is_irreversible_and_new_views_stay_pass_through(
    conn: psycopg.Connection,
) -> None:
    plan = plan_sql("DROP VIEW recent_posts;")
    (step,) = plan.steps
    assert step.rollback.irreversible and "without a schema snapshot" in step.rollback.irreversible
    assert check_plan(plan) == []
    create_posts(conn)
    (new,) = plan_sql(
        "CREATE OR REPLACE VIEW brand_new AS SELECT id FROM posts;", snapshot=introspect(conn)
    ).steps
    assert new.recipe == "pass-through" and new.rollback.sql == ['DROP VIEW IF EXISTS "public"."brand_new"']
