"""What contract takes away, read from real plans: the old column of a rename, a dropped table.

Why: the deploy gate looks for the old release's queries by exactly these objects; a missed one would
let contract break a release that still runs, an extra one (an index) would hold contract forever.
"""

from __future__ import annotations

import psycopg

from zdt.plan.check import stamp
from zdt.plan.model import Phase
from zdt.recipes.planner import plan_sql
from zdt.reports.plan_report import render_plan_markdown
from zdt.rollout import contract_hash, retired_objects
from zdt.schema.snapshot import introspect

SCHEMA = """
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, score int);
CREATE INDEX users_score_idx ON users (score);
CREATE TABLE legacy_audit (id bigint PRIMARY KEY);
"""


def _plan(conn: psycopg.Connection, sql_text: str):  # type: ignore[no-untyped-def]
    conn.execute(SCHEMA)
    return stamp(plan_sql(sql_text, snapshot=introspect(conn)))


def test_a_rename_retires_the_old_column(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users RENAME COLUMN email TO email_address;")

    retired = retired_objects(plan)

    assert [item.label() for item in retired] == ["column public.users.email"]
    assert retired[0].step_id in {step.id for step in plan.steps_in(Phase.CONTRACT)}


def test_a_table_rename_retires_the_old_name_and_not_the_view_it_replaces(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users RENAME TO accounts;")

    retired = retired_objects(plan)

    # contract drops the view accounts and renames users into its place: only users goes away
    assert [item.label() for item in retired] == ["table public.users"]


def test_dropped_tables_and_columns_are_retired_and_indexes_are_not(conn: psycopg.Connection) -> None:
    plan = _plan(
        conn,
        "DROP INDEX users_score_idx;\nALTER TABLE users DROP COLUMN score;\nDROP TABLE legacy_audit;",
    )

    labels = [item.label() for item in retired_objects(plan)]

    assert "column public.users.score" in labels or "column users.score" in labels
    assert any(label.endswith("legacy_audit") and label.startswith("table") for label in labels)
    assert not any("users_score_idx" in label for label in labels)


def test_a_plan_without_contract_retires_nothing(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users ADD COLUMN badge_count integer;")

    assert plan.steps_in(Phase.CONTRACT) == []
    assert retired_objects(plan) == []


def test_the_contract_hash_covers_the_contract_steps(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users RENAME COLUMN email TO email_address;")
    edited = plan.model_copy(deep=True)
    contract = edited.steps_in(Phase.CONTRACT)[0]
    contract.sql = [*contract.sql, "SELECT 1"]

    assert contract_hash(plan) == contract_hash(plan.model_copy(deep=True))
    assert contract_hash(stamp(edited)) != contract_hash(plan)


def test_the_plan_says_what_to_deploy_and_what_must_be_gone(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users RENAME COLUMN email TO email_address;")
    [drop] = plan.steps_in(Phase.CONTRACT)

    markdown = render_plan_markdown(plan)

    rollout = markdown.split("## Rollout", 1)[1].split("\n## ", 1)[0]
    assert "Deploy the release that no longer uses column public.users.email" in rollout
    assert f"| column public.users.email | `{drop.id}` |" in rollout
    assert "--contract --approve" in rollout


def test_a_plan_without_contract_has_no_rollout_section(conn: psycopg.Connection) -> None:
    plan = _plan(conn, "ALTER TABLE users ADD COLUMN badge_count integer;")

    assert "## Rollout" not in render_plan_markdown(plan)
