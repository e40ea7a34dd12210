"""Every recipe, one per module, tried in priority order; the pass-through recipe comes last.

Not recipes, and so not searched: ``base`` (the Recipe protocol, PlanningContext and RecipeExample),
``catalogue`` (docs/recipes.md, rendered from this registry), ``errors`` (PlanningError) and ``planner``
(which uses this registry); helper modules are named ``_*.py``.
"""

from __future__ import annotations

from zdt.discovery import instances_in_package
from zdt.recipes.base import PlannerSettings, PlanningContext, Recipe


def _discover() -> list[Recipe]:
    found = instances_in_package(__name__, __path__, Recipe, skip={"base", "catalogue", "errors", "planner"})
    return sorted(found.values(), key=lambda recipe: (recipe.priority, recipe.id))


ALL_RECIPES: list[Recipe] = _discover()


def recipe_for(context: PlanningContext) -> Recipe:
    """The first recipe that knows how to make this statement safe."""
    for recipe in ALL_RECIPES:
        if recipe.applies(context):
            return recipe
    raise LookupError(f"no recipe for {context.statement.kind}")  # pass_through accepts everything


__all__ = ["ALL_RECIPES", "PlannerSettings", "PlanningContext", "Recipe", "recipe_for"]
