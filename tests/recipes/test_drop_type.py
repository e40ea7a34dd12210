"""drop-type: DROP TYPE waits for contract; an enum's rollback creates it again with its labels in order;
a type still in use makes the step fail with the database as it was; CASCADE is refused."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, plan_against, run_plan, scalar, undo
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

LABELS = "SELECT enum_range(NULL::legacy_state)::text"


def test_an_unused_enum_is_dropped_in_contract_and_its_rollback_brings_the_labels_back(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("CREATE TYPE legacy_state AS ENUM ('draft', 'published', 'archived')")
    before = fingerprint(database_url)
    planned = plan_against(database_url, "DROP TYPE legacy_state;")
    [drop] = planned.plan.steps
    assert drop.phase is Phase.CONTRACT and drop.rollback.is_reversible

    result = run_plan(database_url, planned.plan, Phase.CONTRACT, log_dir=tmp_path)
    assert result.ok, result.message
    assert scalar(database_url, "SELECT to_regtype('legacy_state') IS NULL") is True
    undo(database_url, planned.plan, tmp_path)
    assert scalar(database_url, LABELS) == "{draft,published,archived}"
    assert fingerprint(database_url) == before


def test_a_type_a_column_still_uses_fails_the_step_and_changes_nothing(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute("CREATE TYPE legacy_state AS ENUM ('draft', 'published')")
    conn.execute("ALTER TABLE posts ADD COLUMN state legacy_state")
    before = fingerprint(database_url)
    planned = plan_against(database_url, "DROP TYPE legacy_state;")

    result = run_plan(database_url, planned.plan, Phase.CONTRACT, log_dir=tmp_path)

    assert not result.ok and "left as before this step" in result.message
    assert fingerprint(database_url) == before


def test_drop_type_cascade_is_refused_with_what_to_do(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TYPE legacy_state AS ENUM ('draft')")
    with pytest.raises(PlanningError, match=r"line 1: DROP TYPE \.\.\. CASCADE also drops the columns"):
        plan_sql("DROP TYPE legacy_state CASCADE;", snapshot=introspect(conn))
