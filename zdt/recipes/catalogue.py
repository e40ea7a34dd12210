"""The recipe catalogue as Markdown (docs/recipes.md), generated from the recipes and their examples.

Every example in it is planned, gated and run on PostgreSQL through the real executor by the test suite
(tests/recipes/test_recipe_examples.py), and a test regenerates this file and compares, so the
documentation cannot drift from what the recipes do. Run ``python -m zdt.recipes.catalogue >
docs/recipes.md`` after changing a recipe or an example.

``plan_summary`` is the compact text form of a plan that the examples state and the tests compare.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap

from zdt.plan.model import MigrationPlan, Step
from zdt.recipes import ALL_RECIPES, Recipe
from zdt.recipes.base import RecipeExample

SUMMARY_WIDTH = 88
_DOLLAR_QUOTED = re.compile(r"(\$[A-Za-z_]*\$).*?\1", re.DOTALL)


def plan_summary(plan: MigrationPlan) -> str:
    """The plan as text: per step a line with its phase and id, then each statement it runs, indented.

    Statements are printed on one line each (whitespace collapsed; a leading ``--`` comment on a line of
    its own), wrapped at ``SUMMARY_WIDTH``; the bodies of functions (dollar-quoted) show as ``$$ … $$``;
    a backfill shows as the UPDATE one batch runs, its key range left out; a guard (a step whose statement
    is its own verification query) shows as ``check:`` and what it verifies. A step that cannot be undone
    is marked ``(irreversible)``. Verification and rollback SQL are otherwise not part of the summary.
    """
    lines: list[str] = []
    for step in plan.steps:
        mark = " (irreversible)" if not step.rollback.is_reversible else ""
        lines.append(f"{step.phase.value:<8} {step.id}{mark}")
        lines.extend(_wrapped(statement) for statement in _work(step))
    return "\n".join(lines)


def _work(step: Step) -> list[str]:
    statements: list[str] = []
    for sql in step.sql:
        if sql == step.verify.sql:
            statements.append(f"check: {step.verify.description or _flat(sql)}")
            continue
        body = _DOLLAR_QUOTED.sub(r"\1 … \1", sql).strip()
        while body.startswith("--"):
            comment, _, body = body.partition("\n")
            statements.append(_flat(comment))
            body = body.strip()
        statements.append(_flat(body))
    if step.backfill is not None:
        backfill = step.backfill
        keep = backfill.keep_sql()
        if keep:
            statements.append(f"each batch first keeps the old values: {keep}")
        statements.append(f"in batches by {backfill.key_column}: {backfill.statement_sql()}")
    return statements


def _flat(sql: str) -> str:
    return " ".join(sql.split())


def _wrapped(statement: str) -> str:
    return textwrap.fill(
        statement,
        width=SUMMARY_WIDTH,
        initial_indent="    ",
        subsequent_indent="        ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _sql_block(sql: str) -> list[str]:
    return ["```sql", inspect.cleandoc(sql), "```"]


def _queries(queries: tuple[str, ...]) -> list[str]:
    return ["```sql", *(f"{_flat(query)};" for query in queries), "```"]


def _example(heading: str, example: RecipeExample) -> list[str]:
    lines = [
        f"### {heading}: {example.title}",
        "",
        "Schema:",
        "",
        *_sql_block(example.schema),
        "",
        "Input:",
        "",
        *_sql_block(example.sql),
        "",
        "Plan (PostgreSQL 18):" if example.plan_before_pg18 else "Plan:",
        "",
        "```",
        inspect.cleandoc(example.plan),
        "```",
        "",
    ]
    if example.plan_before_pg18:
        lines += [
            "Plan (PostgreSQL 12-17):",
            "",
            "```",
            inspect.cleandoc(example.plan_before_pg18),
            "```",
            "",
        ]
    lines += [
        "The old release's queries work before the plan, after expand, after migrate and after a rollback "
        "of expand and migrate:",
        "",
        *_queries(example.old_queries),
        "",
        "The new release's queries work after migrate and after contract:",
        "",
        *_queries(example.new_queries),
        "",
    ]
    if example.end_state_why:
        lines += [
            "After contract the schema is the one the plain statement gives followed by this, because "
            f"{example.end_state_why}:",
            "",
            *_sql_block(example.end_state_sql),
            "",
        ]
    else:
        lines += ["After contract the schema is exactly the one the plain statement gives.", ""]
    return lines


def _section(recipe: Recipe) -> str:
    module_doc = inspect.cleandoc(sys.modules[type(recipe).__module__].__doc__ or "")
    # The docstrings are aligned plain text naming things in <angle brackets>: shown as they are.
    lines = [f"## `{recipe.id}`", "", recipe.summary, "", "```text", module_doc, "```", ""]
    for number, example in enumerate(recipe.examples, start=1):
        lines += _example("Example" if len(recipe.examples) == 1 else f"Example {number}", example)
    return "\n".join(lines)


def render_catalogue() -> str:
    header = [
        "# zdt recipes",
        "",
        "Generated from `zdt/recipes/` by `python -m zdt.recipes.catalogue`. The planner asks the recipes",
        "in this order and the first that applies to a statement makes its steps; the pass-through recipe",
        "takes whatever is already safe. Every example below is planned against its schema (tables just",
        "over the 10,000-row small-table threshold), passes the plan gate, and is run by the real executor",
        "phase by phase on PostgreSQL 15 and 18 by the test suite, with the old and new release's queries",
        "in between; its expand and migrate steps are also rolled back, restoring the exact schema.",
        "",
        "In the plans, each step is a line with its phase and id followed by the statements it runs;",
        "a backfill shows the UPDATE of one batch without its key range, and function bodies show as",
        "`$$ … $$`.",
        "",
        "| recipe | what it does |",
        "|---|---|",
        *[f"| [`{recipe.id}`](#{recipe.id}) | {recipe.summary} |" for recipe in ALL_RECIPES],
        "",
    ]
    return "\n".join(header + [_section(recipe) for recipe in ALL_RECIPES])


if __name__ == "__main__":
    print(render_catalogue(), end="")
