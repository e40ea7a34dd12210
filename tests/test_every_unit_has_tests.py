"""Every recipe and every rule has its own test module, named after it: adding one means adding both.

Recipe modules are the ones discovery finds a recipe in (helpers are ``_*.py``; ``base``, ``catalogue``,
``errors`` and ``planner`` are not recipes); rule modules likewise. The examples each of them carries
are proven separately (tests/recipes/test_recipe_examples.py, tests/analysis/rules/test_examples.py).
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterable
from pathlib import Path

from zdt import recipes
from zdt.analysis import rules
from zdt.analysis.rules import ALL_RULES
from zdt.recipes import ALL_RECIPES

TESTS = Path(__file__).parent
NOT_RECIPES = {"base", "catalogue", "errors", "planner"}


def _module_names(units: Iterable[object]) -> set[str]:
    return {type(unit).__module__.rsplit(".", 1)[1] for unit in units}


def _missing(modules: set[str], test_dir: Path) -> list[str]:
    return sorted(
        f"{test_dir.relative_to(TESTS.parent)}/test_{name}.py"
        for name in modules
        if not (test_dir / f"test_{name}.py").is_file()
    )


def test_every_recipe_module_has_its_test_module() -> None:
    modules = _module_names(ALL_RECIPES)
    assert len(modules) == len(ALL_RECIPES), "one recipe per module"
    listed = {info.name for info in pkgutil.iter_modules(recipes.__path__)} - NOT_RECIPES
    assert modules == {name for name in listed if not name.startswith("_")}, (
        "every recipe module holds a recipe"
    )
    assert _missing(modules, TESTS / "recipes") == []


def test_every_rule_module_has_its_test_module() -> None:
    modules = _module_names(ALL_RULES)
    listed = {info.name for info in pkgutil.iter_modules(rules.__path__)} - {"base"}
    assert modules == {name for name in listed if not name.startswith("_")}, "every rule module holds a rule"
    assert _missing(modules, TESTS / "analysis" / "rules") == []
