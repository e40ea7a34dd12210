"""add-constraint-not-valid: CHECK and FOREIGN KEY constraints land validated, with the scan moved to a
VALIDATE that lets traffic through, and undoing the steps restores the exact schema."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    analyse_original,
    assert_stopped_at,
    create_posts,
    error_findings,
    execute,
    plan_against,
    run_plan,
    scalar,
    undo,
)
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes import _checks as checks
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
    case: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
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
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)  # add
    assert scalar(database_url, checks.constraint_exists("public.posts", name, validated=False)) is True
    with pytest.raises(psycopg.errors.IntegrityError):
        conn.execute(violation)  # enforced for new rows before any old row is read
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)  # validate
    assert scalar(database_url, checks.constraint_exists("public.posts", name, validated=True)) is True
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum

    undo(database_url, plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before


def test_rows_that_break_the_constraint_stop_the_plan_at_validation(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = plan_against(
        database_url, "ALTER TABLE posts ADD CONSTRAINT posts_score_small CHECK (score < 5);"
    ).plan
    before = fingerprint(database_url)
    _, validate = plan.steps
    stopped = run_plan(database_url, plan, log_dir=tmp_path)  # add, then validate
    assert_stopped_at(stopped, validate, psycopg.errors.CheckViolation)
    undo(database_url, plan, log_dir=tmp_path)  # undoes add, the one step done
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
