"""Every rule, one per module. Adding a rule means adding a module here; nothing else changes."""

from __future__ import annotations

import importlib
import pkgutil

from zdt.analysis.rules.base import Rule, RuleContext


def _discover() -> list[Rule]:
    found: dict[str, Rule] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            is_rule = isinstance(value, type) and issubclass(value, Rule) and value is not Rule
            if is_rule and value.__module__ == module.__name__:
                if value.id in found:
                    raise RuntimeError(f"two rules share the id {value.id!r}")
                found[value.id] = value()
    return [found[rule_id] for rule_id in sorted(found)]


ALL_RULES: list[Rule] = _discover()
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_ID", "Rule", "RuleContext"]
