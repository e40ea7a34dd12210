"""add-constraint-not-valid: CHECK and FOREIGN KEY constraints land validated, with the scan moved to a
VALIDATE that lets traffic through, and undoing the steps restores the exact schema."""

from __future__ import annotations

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes import harness
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    create_posts,
    error_findings,
    plan_against,
    scalar,
)
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes import checks
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

CASES = {
    "check": (
        "ALTER TABLE posts ADD CONSTRAINT posts_score_positive CHECK (score >= 0);",
        "posts_score_positive",
        "INSERT INTO posts (id, score) VALUES (-1, -5)",
    ),
    "foreign-key": (
        "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id);",
        "posts_author_fk",
        "INSERT INTO posts (id, author_id) VALUES (-1, 999999)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_constraint_is_added_not_valid_then_validated(
    case: str, conn: psycopg.Connection, database_url: str
) -> None:
    sql, name, violation = CASES[case]
    create_posts(conn)
    planned = plan_against(database_url, sql)
    plan = planned.plan

    (original,) = analyse_original(sql, planned.snapshot)
    assert any("constraint-missing-not-valid" in finding for finding in error_findings(original))

    add, validate = plan.steps
    assert (add.phase, validate.phase) == (Phase.EXPAND, Phase.MIGRATE)
    assert add.sql == [sql.rstrip(";") + " NOT VALID"]
    assert validate.lock is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert validate.rollback.not_needed
    if case == "foreign-key":
        assert add.tables == ["public.posts", "public.authors"]

    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    harness.run_step(database_url, add)
    assert scalar(database_url, checks.constraint_exists("public.posts", name, validated=False)) is True
    with pytest.raises(psycopg.errors.IntegrityError):
        conn.execute(violation)  # enforced for new rows before any old row is read
    harness.run_step(database_url, validate)
    assert scalar(database_url, checks.constraint_exists("public.posts", name, validated=True)) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum

    harness.rollback(database_url, [add, validate])
    assert fingerprint(database_url) == before


def test_rows_that_break_the_constraint_stop_the_plan_at_validation(
    conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    plan = plan_against(
        database_url, "ALTER TABLE posts ADD CONSTRAINT posts_score_small CHECK (score < 5);"
    ).plan
    before = fingerprint(database_url)
    add, validate = plan.steps
    harness.run_step(database_url, add)
    with pytest.raises(psycopg.errors.CheckViolation):
        harness.run_step(database_url, validate)
    harness.rollback(database_url, [add])
    assert fingerprint(database_url) == before


def test_an_unnamed_constraint_is_refused_with_line_and_table(conn: psycopg.Connection) -> None:
    create_posts(conn)
    with pytest.raises(
        PlanningError, match=r"line 2: name the FOREIGN KEY constraint added to public\.posts"
    ):
        plan_sql(
            "-- posts get authors\nALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES authors (id);",
            snapshot=introspect(conn),
        )
