"""Every rule, one per module. Adding a rule means adding a module here; nothing else changes."""

from __future__ import annotations

from zdt.analysis.rules.base import Rule, RuleContext
from zdt.discovery import instances_in_package


def _discover() -> list[Rule]:
    found = instances_in_package(__name__, __path__, Rule, skip={"base", "_common"})
    return [found[rule_id] for rule_id in sorted(found)]


ALL_RULES: list[Rule] = _discover()
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_ID", "Rule", "RuleContext"]
