"""drop-column: contract-only, guarded by a catalog check that nothing uses the column, and honest that
its rollback is a restore from backup. A guard that finds a dependent stops the plan before the drop."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    analyse_original,
    create_posts,
    execute,
    plan_against,
    scalar,
    steps_in,
)
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
from zdt.recipes import _dependents as dependents

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
        ("CREATE INDEX posts_body_idx ON posts (body)", "index posts_body_idx"),
        ("CREATE INDEX posts_score_body_idx ON posts (score, body)", "index posts_score_body_idx"),
        ("CREATE VIEW post_bodies AS SELECT id, body FROM posts", "rule _RETURN on view post_bodies"),
        (
            "ALTER TABLE posts ADD CONSTRAINT posts_body_scored CHECK (body IS NULL OR score > 0) NOT VALID",
            "constraint posts_body_scored on table posts",
        ),
    ],
)
def test_a_dependent_stops_the_plan_before_the_drop(
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
