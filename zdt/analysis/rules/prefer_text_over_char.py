"""prefer-text-over-char: char(n) pads, compares oddly and saves nothing over text."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_BLANK_PADDED = frozenset({"character"})


class PreferTextOverChar(Rule):
    """``char(n)`` / ``character(n)`` pads every value with spaces to n characters.

    Anti-pattern: ``ALTER TABLE users ADD COLUMN country char(2);`` — shorter values are stored padded,
    trailing spaces are ignored in comparisons but dropped by some operations (``||``) and not others,
    and it is no smaller or faster than text in PostgreSQL. Best practice: ``text`` (or ``varchar``) with
    a ``CHECK (char_length(col) <= n)`` when the length limit matters.
    """

    id = "prefer-text-over-char"
    summary = "Use text or varchar (with a length CHECK if needed) instead of char(n)."
    bad = "ALTER TABLE users ADD COLUMN country char(2);"
    good = "ALTER TABLE users ADD COLUMN country text CHECK (char_length(country) = 2);"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        for column, column_type, verb in common.declared_types(context):
            if column_type.base not in _BLANK_PADDED:
                continue
            name = common.column_name(context.target, column)
            spelled = "changed to" if verb == "changed to" else f"{verb} as"
            length = column_type.modifiers[0] if column_type.modifiers else None
            padding = f"values are padded with spaces to {length} characters, " if length else ""
            message = (
                f"{name} is {spelled} {common.type_text(column_type)}: {padding}trailing spaces are "
                "ignored in comparisons and dropped by casts and ||, and it is neither smaller nor faster "
                "than text"
            )
            col = common.quote(column)
            array = "[]" if column_type.array else ""
            fix = f"use text{array} (or varchar{array})"
            if length and not array:
                fix += f", with CHECK (char_length({col}) <= {length}) if the limit matters"
            yield self.finding(Severity.WARNING, message, fix)
