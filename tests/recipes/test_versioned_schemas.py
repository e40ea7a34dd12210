"""Version schemas (zdt/recipes/_versions.py): a schema of views per release around the column recipes.

What is proven here, on a real server: by default a rename or a type change gets them (and a plain
ADD COLUMN does not); the new release's view presents the final names and types from expand on while the
old release's presents the table as it was; writes through either view reach the table and are seen
through the other, converted; undoing expand and migrate leaves the original schema; the whole plan ends
in exactly the file's schema plus the new release's schema (the equivalence proof); and contract drops the
old release's schema.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.recipes.lifecycle import apply_reversible_then_undo, create_posts, execute, scalar
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import MigrationPlan, Phase
from zdt.recipes._versions import CREATE_STEP, DROP_OLD_STEP
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

MOVES = (
    "ALTER TABLE posts ALTER COLUMN score TYPE bigint;\nALTER TABLE posts RENAME COLUMN title TO headline;"
)
AUTO = PlannerSettings(versioned_schemas=None, version_name="v2")


def _plan(conn: psycopg.Connection, sql_text: str, settings: PlannerSettings = AUTO) -> MigrationPlan:
    snapshot = introspect(conn)
    plan = plan_sql(sql_text, snapshot=snapshot, settings=settings)
    assert check_plan(plan, snapshot) == [], [str(problem) for problem in check_plan(plan, snapshot)]
    return stamp(plan, snapshot)


def test_a_type_change_gets_version_schemas_by_default_and_a_rename_or_added_column_does_not(
    conn: psycopg.Connection,
) -> None:
    create_posts(conn)
    plan = _plan(conn, MOVES)
    assert plan.versions is not None
    assert plan.versions.new_schemas == ["public_v2"] and plan.versions.old_schemas == ["public_v2_old"]
    assert plan.versions.new_search_path == "public_v2, public"
    [table] = plan.versions.tables
    assert table.new_columns == [
        ("id", "id"),
        ("author_id", "author_id"),
        ("headline", "headline"),
        ("body", "body"),
        ("score", "score_zdt_new"),
    ]
    assert table.old_columns == ["id", "author_id", "title", "body", "score"]
    expand = [step.id for step in plan.steps_in(Phase.EXPAND)]
    contract = [step.id for step in plan.steps_in(Phase.CONTRACT)]
    assert expand[-1] == CREATE_STEP and contract[0] == DROP_OLD_STEP
    assert any("version schemas" in note and "public_v2, public" in note for note in plan.notes)

    assert _plan(conn, "ALTER TABLE posts ADD COLUMN subtitle text;").versions is None
    # a rename alone keeps pg_stat_statements able to tell the releases apart: on only when asked
    rename = "ALTER TABLE posts RENAME COLUMN title TO headline;"
    assert _plan(conn, rename).versions is None
    assert _plan(conn, rename, PlannerSettings(versioned_schemas=True)).versions is not None
    off = PlannerSettings(versioned_schemas=False)
    assert _plan(conn, MOVES, off).versions is None


def test_both_releases_write_through_their_views_and_read_each_others_writes(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = _plan(conn, MOVES)
    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)

    new_release = "-c search_path=public_v2,public"
    with psycopg.connect(database_url, autocommit=True, options=new_release) as new:
        row = new.execute(
            "INSERT INTO posts (id, author_id, headline, score) VALUES (100002, 1, 'new', 7) RETURNING score"
        ).fetchone()
        assert row == (7,)
        # A bigint the old int column cannot hold is refused until contract: the old release must
        # still be able to read every row (the sync trigger says so).
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            new.execute("UPDATE posts SET score = 5000000000 WHERE id = 1")
    with psycopg.connect(database_url, autocommit=True, options="-c search_path=public_v2_old,public") as old:
        assert old.execute("SELECT title, score FROM posts WHERE id = 100002").fetchone() == ("new", 7)
        old.execute("UPDATE posts SET title = 'edited by the old release', score = 8 WHERE id = 2")
    with psycopg.connect(database_url, autocommit=True, options=new_release) as new:
        assert new.execute("SELECT headline, score FROM posts WHERE id = 2").fetchone() == (
            "edited by the old release",
            8,
        )


def test_undoing_expand_and_migrate_drops_both_schemas_and_restores_the_schema(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = _plan(conn, MOVES)
    apply_reversible_then_undo(database_url, plan, tmp_path)  # asserts the fingerprint itself
    left = "SELECT count(*) FROM pg_namespace WHERE nspname IN ('public_v2', 'public_v2_old')"
    assert scalar(database_url, left) == 0


def test_the_plan_ends_in_the_files_schema_plus_the_new_releases_views(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = _plan(conn, MOVES)
    proof = prove_equivalence(plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()

    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT, log_dir=tmp_path / "run")
    assert scalar(database_url, "SELECT to_regnamespace('public_v2_old') IS NULL") is True
    kinds = (
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attname = 'score'"
    )
    assert scalar(database_url, kinds, ("public.posts",)) == "bigint"  # the file's name, the new type
    assert scalar(database_url, kinds, ("public_v2.posts",)) == "bigint"


def test_a_drop_column_with_version_schemas_on_hides_the_column_from_the_new_release(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = _plan(
        conn,
        "ALTER TABLE posts DROP COLUMN body;",
        PlannerSettings(versioned_schemas=True, version_name="v3"),
    )
    assert plan.versions is not None
    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    with psycopg.connect(database_url, options="-c search_path=public_v3,public") as new:
        cursor = new.execute("SELECT * FROM posts LIMIT 1")
        assert [column.name for column in cursor.description or ()] == ["id", "author_id", "title", "score"]


def test_a_version_name_that_is_not_a_plain_identifier_is_refused(conn: psycopg.Connection) -> None:
    create_posts(conn)
    with pytest.raises(PlanningError, match="version name 'V-2'"):
        plan_sql(
            MOVES,
            snapshot=introspect(conn),
            settings=PlannerSettings(versioned_schemas=None, version_name="V-2"),
        )
