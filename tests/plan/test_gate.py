"""The plan gate: analysed clean, verifiable, reversible before contract, policy-clean, tamper-evident."""

from __future__ import annotations

import pytest

from zdt.plan.check import PlanRejected, PlanTampered, check_plan, ensure_unchanged, stamp
from zdt.plan.model import MigrationPlan, Phase, Rollback, Step, Verification
from zdt.recipes.planner import plan_sql


def _step(step_id: str, sql: str, phase: Phase = Phase.EXPAND, **extra: object) -> Step:
    return Step(
        id=step_id,
        phase=phase,
        description=step_id,
        sql=[sql],
        verify=extra.pop("verify", Verification(sql="SELECT true")),
        rollback=extra.pop("rollback", Rollback(sql=["SELECT 1"])),
        **extra,
    )


def _plan(*steps: Step) -> MigrationPlan:
    return MigrationPlan(id="m-test", source="--", pg_version=18, steps=list(steps))


def test_a_safe_plan_passes_and_is_stamped() -> None:
    plan = stamp(_plan(_step("a", "ALTER TABLE posts ADD COLUMN flag boolean")))
    assert plan.checked_hash == plan.content_hash()
    ensure_unchanged(plan)


def test_an_unsafe_statement_is_rejected_with_its_rule() -> None:
    problems = check_plan(_plan(_step("a", "CREATE INDEX posts_a ON posts (a)")))
    assert any("require-concurrent-index-creation" in p.message and p.step_id == "a" for p in problems)


def test_concurrently_inside_a_transactional_step_is_rejected() -> None:
    problems = check_plan(_plan(_step("a", "CREATE INDEX CONCURRENTLY posts_a ON posts (a)")))
    assert any("cannot run inside a transaction" in p.message for p in problems)


def test_irreversible_expand_step_is_rejected() -> None:
    step = _step(
        "a", "ALTER TABLE posts ADD COLUMN flag boolean", rollback=Rollback(irreversible="no way back")
    )
    problems = check_plan(_plan(step))
    assert [str(p) for p in problems] == ["a: expand steps must be reversible (this one: no way back)"]


def test_irreversible_contract_step_is_allowed() -> None:
    step = _step(
        "a", "ALTER TABLE posts DROP COLUMN body", Phase.CONTRACT, rollback=Rollback(irreversible="restore")
    )
    assert not [p for p in check_plan(_plan(step)) if "reversible" in p.message]


def test_policy_applies_to_forward_rollback_and_verification_sql() -> None:
    step = _step(
        "a",
        "ALTER TABLE posts ADD COLUMN flag boolean",
        verify=Verification(sql="SELECT pg_terminate_backend(1)"),
        rollback=Rollback(sql=["DROP DATABASE prod"]),
    )
    messages = " ".join(p.message for p in check_plan(_plan(step)))
    assert "pg_terminate_backend" in messages
    assert "dropping a database" in messages


def test_edited_plan_is_refused() -> None:
    plan = stamp(_plan(_step("a", "ALTER TABLE posts ADD COLUMN flag boolean")))
    edited = plan.model_copy(deep=True)
    edited.steps[0].sql = ["ALTER TABLE posts ADD COLUMN flag boolean; DROP TABLE users"]
    with pytest.raises(PlanTampered, match="changed after it was checked"):
        ensure_unchanged(edited)


def test_unchecked_plan_is_refused() -> None:
    with pytest.raises(PlanTampered, match="never checked"):
        ensure_unchanged(_plan(_step("a", "SELECT 1")))


def test_stamp_raises_with_every_problem() -> None:
    with pytest.raises(PlanRejected) as caught:
        stamp(_plan(_step("a", "CREATE INDEX posts_a ON posts (a)"), _step("b", "VACUUM FULL posts")))
    assert {p.step_id for p in caught.value.problems} == {"a", "b"}


def test_planned_seed_migration_passes_the_gate() -> None:
    with open("examples/migrations/seed_user_badges.sql") as handle:
        plan = plan_sql(handle.read())
    assert check_plan(plan) == []
    assert [s.phase for s in plan.steps] == [Phase.EXPAND] * 3


def _backfill_step(set_sql: str, where_sql: str | None = None) -> Step:
    from zdt.plan.model import Backfill

    return Step(
        id="b",
        phase=Phase.MIGRATE,
        description="backfill",
        backfill=Backfill(table="public.posts", key_column="id", set_sql=set_sql, where_sql=where_sql),
        verify=Verification(sql="SELECT true"),
        rollback=Rollback(not_needed="new column"),
    )


def test_backfill_fragments_pass_the_policy() -> None:
    assert check_plan(_plan(_backfill_step("flag = false", "flag IS NULL"))) == []


def test_backfill_fragment_smuggling_a_statement_is_rejected() -> None:
    problems = check_plan(_plan(_backfill_step("flag = false WHERE false; DROP TABLE users; --")))
    assert any(p.message.startswith("backfill: ") for p in problems)


def test_backfill_calling_a_forbidden_function_is_rejected() -> None:
    problems = check_plan(_plan(_backfill_step("flag = pg_terminate_backend(42) IS NULL")))
    assert any("pg_terminate_backend" in p.message for p in problems)
