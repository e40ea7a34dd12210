"""Every recipe's documented examples, proven the way the rules' bad/good examples are.

For each example of each recipe, on a real server, through the real executor: the plan made against its
schema passes the gate, is the plan the example states, and its steps come from this recipe; the old
release's queries work before the plan, after expand and after migrate, the new release's after migrate
and after contract; the contract ends in the schema the plain statement gives (or the difference the
example states and explains); undoing expand and migrate restores the exact schema with the old queries
still working; after contract the plan is either undone completely or the rollback stops, saying why, at
the step that cannot be undone. And no other recipe claims an example's statements.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import psycopg
import pytest

from zdt.analysis.analyser import new_state
from zdt.analysis.source import parse_statements
from zdt.db.scratch import scratch_database
from zdt.executor import MigrationStatus, apply_plan, rollback_migration
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import MigrationPlan, Phase
from zdt.recipes import ALL_RECIPES, Recipe
from zdt.recipes.base import PlannerSettings, RecipeExample
from zdt.recipes.catalogue import plan_summary
from zdt.recipes.pass_through import PassThrough
from zdt.recipes.planner import plan_sql, planning_contexts
from zdt.schema import SchemaSnapshot, introspect

SETTINGS = PlannerSettings(batch_size=5_000, batch_pause_ms=0)  # tests/recipes/lifecycle.py's SETTINGS
PASS_THROUGH = PassThrough.id


def _example_id(recipe: Recipe, number: int) -> str:
    return recipe.id if len(recipe.examples) == 1 else f"{recipe.id}-{number}"


EXAMPLES = [
    pytest.param(recipe, example, id=_example_id(recipe, number))
    for recipe in ALL_RECIPES
    for number, example in enumerate(recipe.examples, start=1)
]


def _contract_undo_id(recipe: Recipe, number: int, example: RecipeExample) -> str:
    """What undoing after contract can mean for this example, read from its stated plan (which
    test_example_plan_runs_phase_by_phase proves is the plan it yields)."""
    irreversible = "(irreversible)" in example.plan
    return f"{_example_id(recipe, number)}-{'stops-at-irreversible' if irreversible else 'undone'}"


CONTRACT_EXAMPLES = [
    pytest.param(recipe, example, id=_contract_undo_id(recipe, number, example))
    for recipe in ALL_RECIPES
    for number, example in enumerate(recipe.examples, start=1)
    if any(line.startswith("contract") for line in inspect.cleandoc(example.plan).splitlines())
]


def _run_script(url: str, sql: str) -> None:
    """Each statement on its own, in autocommit, as written."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in parse_statements(sql):
            conn.execute(statement.sql)


def _queries_work(url: str, queries: tuple[str, ...], when: str) -> None:
    """Run the release's queries in one transaction and roll it back: they must work, and leave no trace."""
    with psycopg.connect(url) as conn:
        try:
            for query in queries:
                try:
                    conn.execute(query)
                except psycopg.Error as error:
                    pytest.fail(f"{when}: {query}\n  failed: {error}")
        finally:
            conn.rollback()


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def _fingerprint(url: str) -> str:
    return _snapshot(url).fingerprint()


def _claims(example: RecipeExample, snapshot: SchemaSnapshot) -> list[tuple[str, list[str]]]:
    """Per statement of the example (as the planner splits them: its step-id prefix), every recipe but the
    pass-through whose ``applies()`` is true for it."""
    state = new_state(pg_version=None, snapshot=snapshot)
    return [
        (
            context.prefix,
            [recipe.id for recipe in ALL_RECIPES if recipe.id != PASS_THROUGH and recipe.applies(context)],
        )
        for context in planning_contexts(example.sql, state, settings=SETTINGS)
    ]


def _planned(recipe: Recipe, example: RecipeExample, url: str, server_version: int) -> MigrationPlan:
    """The example planned against its schema: gate clean, the stated plan, steps made by this recipe."""
    snapshot = _snapshot(url)
    plan = plan_sql(example.sql, snapshot=snapshot, settings=SETTINGS)
    problems = check_plan(plan, snapshot)
    assert problems == [], [str(problem) for problem in problems]
    assert plan_summary(plan) == inspect.cleandoc(example.plan_on(server_version)), (
        f"{recipe.id}: the plan is not the one the example states (PostgreSQL {server_version})"
    )
    makers = {
        prefix: claimed[0] if claimed else PASS_THROUGH for prefix, claimed in _claims(example, snapshot)
    }
    for step in plan.steps:
        assert step.recipe == makers[step.id.split("-", 1)[0]], step.id
    assert recipe.id in {step.recipe for step in plan.steps}, f"no step of the plan comes from {recipe.id}"
    return stamp(plan, snapshot)


def _apply(plan: MigrationPlan, url: str, phases: list[Phase], log: Path) -> None:
    result = apply_plan(plan, url, phases=phases, log_path=log)
    assert result.ok, result.message


def _plain_fingerprint(admin_url: str, example: RecipeExample) -> str:
    """The schema the plain statement leaves (then the example's stated difference), on a scratch database."""
    with scratch_database(admin_url, prefix="zdt_plain") as url:
        _run_script(url, example.schema)
        _run_script(url, example.sql)
        if example.end_state_sql:
            _run_script(url, example.end_state_sql)
        return _fingerprint(url)


def test_every_recipe_has_examples() -> None:
    for recipe in ALL_RECIPES:
        assert recipe.examples, f"{recipe.id} has no examples"
        for example in recipe.examples:
            assert example.title and example.old_queries and example.new_queries, recipe.id
            assert example.plan_before_pg18 != example.plan, (
                f"{recipe.id}: state an older plan only if it differs"
            )


@pytest.mark.parametrize(("recipe", "example"), EXAMPLES)
def test_at_most_one_recipe_claims_each_example(
    recipe: Recipe, example: RecipeExample, database_url: str
) -> None:
    _run_script(database_url, example.schema)
    claims = _claims(example, _snapshot(database_url))
    for prefix, claimed in claims:
        assert claimed in ([], [recipe.id]), f"{prefix}: claimed by {claimed}, the example is {recipe.id}'s"
    if recipe.id != PASS_THROUGH:
        assert any(claimed for _, claimed in claims), f"{recipe.id} claims none of its example's statements"


@pytest.mark.parametrize(("recipe", "example"), EXAMPLES)
def test_example_plan_runs_phase_by_phase(
    recipe: Recipe,
    example: RecipeExample,
    admin_url: str,
    database_url: str,
    server_version: int,
    tmp_path: Path,
) -> None:
    _run_script(database_url, example.schema)
    _queries_work(database_url, example.old_queries, "old release, before the plan")
    plan = _planned(recipe, example, database_url, server_version)
    log = tmp_path / "MIGRATION-LOG.md"

    _apply(plan, database_url, [Phase.EXPAND], log)
    _queries_work(database_url, example.old_queries, "old release, after expand")
    _apply(plan, database_url, [Phase.MIGRATE], log)
    _queries_work(database_url, example.old_queries, "old release, after migrate")
    _queries_work(database_url, example.new_queries, "new release, after migrate")
    _apply(plan, database_url, [Phase.CONTRACT], log)
    _queries_work(database_url, example.new_queries, "new release, after contract")

    assert _fingerprint(database_url) == _plain_fingerprint(admin_url, example), (
        f"{recipe.id}: the contract does not end in the schema the plain statement gives"
        + (
            f" followed by the example's end_state_sql ({example.end_state_why})"
            if example.end_state_sql
            else ""
        )
    )


@pytest.mark.parametrize(("recipe", "example"), EXAMPLES)
def test_example_rolls_back_after_migrate(
    recipe: Recipe, example: RecipeExample, database_url: str, server_version: int, tmp_path: Path
) -> None:
    _run_script(database_url, example.schema)
    before = _fingerprint(database_url)
    plan = _planned(recipe, example, database_url, server_version)
    log = tmp_path / "MIGRATION-LOG.md"
    _apply(plan, database_url, [Phase.EXPAND, Phase.MIGRATE], log)
    # The gate lets no irreversible step into expand or migrate: there is no undo to skip here.
    assert all(step.rollback.is_reversible for step in plan.steps if step.phase is not Phase.CONTRACT)

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.ok and undone.schema_restored, undone.message
    assert _fingerprint(database_url) == before
    _queries_work(database_url, example.old_queries, "old release, after rollback")


@pytest.mark.parametrize(("recipe", "example"), CONTRACT_EXAMPLES)
def test_example_after_contract_is_undone_or_refused_with_its_reason(
    recipe: Recipe, example: RecipeExample, database_url: str, server_version: int, tmp_path: Path
) -> None:
    _run_script(database_url, example.schema)
    before = _fingerprint(database_url)
    plan = _planned(recipe, example, database_url, server_version)
    log = tmp_path / "MIGRATION-LOG.md"
    _apply(plan, database_url, [Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT], log)
    after_contract = _fingerprint(database_url)
    irreversible = [step for step in plan.steps if not step.rollback.is_reversible]

    undone = rollback_migration(plan, database_url, log_path=log)
    if not irreversible:
        assert undone.ok and undone.schema_restored, undone.message
        assert _fingerprint(database_url) == before
        _queries_work(database_url, example.old_queries, "old release, after rolling back the contract")
        return
    # Only the undo is skipped, and only where the plan says it cannot be done: the rollback stops at the
    # last irreversible step, naming its reason, and leaves the contracted schema as it was.
    last = irreversible[-1]
    assert last is plan.steps[-1], "an irreversible step is the plan's last (else steps after it are undone)"
    assert undone.status is MigrationStatus.ROLLBACK_FAILED and undone.stopped_at == last.id, undone.message
    reason = last.rollback.irreversible
    assert reason and reason in undone.message, undone.message
    assert _fingerprint(database_url) == after_contract
    _queries_work(database_url, example.new_queries, "new release, after the refused rollback")


def test_recipe_catalogue_is_up_to_date() -> None:
    from zdt.recipes.catalogue import render_catalogue

    catalogue = Path(__file__).parents[2] / "docs" / "recipes.md"
    assert catalogue.read_text() == render_catalogue(), (
        "docs/recipes.md is stale: python -m zdt.recipes.catalogue > docs/recipes.md"
    )
