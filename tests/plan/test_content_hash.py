"""The plan's content hash covers what runs, and only that: a new optional field does not change it."""

from __future__ import annotations

from zdt.plan.model import MigrationPlan
from zdt.recipes.planner import plan_sql


def _plan() -> MigrationPlan:
    return plan_sql("CREATE TABLE t (id bigint PRIMARY KEY);\nALTER TABLE t ADD COLUMN a int;")


def test_a_field_left_at_its_default_does_not_change_the_hash() -> None:
    plan = _plan()
    explicit = plan.model_copy(
        update={
            "steps": [step.model_copy(update={"end_state_sql": []}) for step in plan.steps],
            "migrations": [],
        }
    )
    assert explicit.content_hash() == plan.content_hash()
    reloaded = MigrationPlan.model_validate_json(plan.model_dump_json())
    assert reloaded.content_hash() == plan.content_hash()


def test_anything_that_changes_what_runs_changes_the_hash() -> None:
    plan = _plan()
    first = plan.steps[0]
    for update in (
        {"sql": ["CREATE TABLE t (id int)"]},
        {"transactional": False},
        {"end_state_sql": ["SELECT 1"]},
    ):
        edited = plan.model_copy(update={"steps": [first.model_copy(update=update), *plan.steps[1:]]})
        assert edited.content_hash() != plan.content_hash(), update
    assert (
        plan.model_copy(update={"created_at": "2020-01-01T00:00:00+00:00"}).content_hash()
        == plan.content_hash()
    )
