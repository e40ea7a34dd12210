"""Every recipe, one per module, tried in priority order; the pass-through recipe comes last."""

from __future__ import annotations

import importlib
import pkgutil

from zdt.recipes.base import PlannerSettings, PlanningContext, Recipe


def _discover() -> list[Recipe]:
    found: dict[str, Recipe] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            is_recipe = isinstance(value, type) and issubclass(value, Recipe) and value is not Recipe
            if is_recipe and value.__module__ == module.__name__:
                if value.id in found:
                    raise RuntimeError(f"two recipes share the id {value.id!r}")
                found[value.id] = value()
    return sorted(found.values(), key=lambda recipe: (recipe.priority, recipe.id))


ALL_RECIPES: list[Recipe] = _discover()


def recipe_for(context: PlanningContext) -> Recipe:
    """The first recipe that knows how to make this statement safe."""
    for recipe in ALL_RECIPES:
        if recipe.applies(context):
            return recipe
    raise LookupError(f"no recipe for {context.statement.kind}")  # pass_through accepts everything


__all__ = ["ALL_RECIPES", "PlannerSettings", "PlanningContext", "Recipe", "recipe_for"]
