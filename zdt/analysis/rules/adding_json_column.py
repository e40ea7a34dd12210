"""adding-json-column: prefer jsonb; a json column breaks DISTINCT, UNION and GROUP BY over the table."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_JSON = "json"


class AddingJsonColumn(Rule):
    """The json type has no equality operator: queries that compare whole rows stop working.

    Anti-pattern: ``ALTER TABLE posts ADD COLUMN meta json;`` — from then on ``SELECT DISTINCT * FROM
    posts``, ``UNION`` (without ALL) or ``GROUP BY`` over the column fail with "could not identify an
    equality operator for type json", and every access re-parses the text. Best practice: ``jsonb``
    (parsed once, comparable, indexable with GIN); keep json only to preserve key order, duplicate keys or
    whitespace exactly.
    """

    id = "adding-json-column"
    summary = "Use jsonb, not json: json has no equality operator, so DISTINCT, UNION and GROUP BY fail."
    bad = "ALTER TABLE posts ADD COLUMN meta json;"
    good = "ALTER TABLE posts ADD COLUMN meta jsonb;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        for column, column_type, verb in common.declared_types(context):
            if column_type.base != _JSON:
                continue
            name = common.column_name(context.target, column)
            spelled = "changed to" if verb == "changed to" else f"{verb} as"
            message = (
                f"{name} is {spelled} {common.type_text(column_type)}: json has no equality operator, so "
                f"queries that compare {common.quote(column)} (SELECT DISTINCT, UNION, GROUP BY, =) fail "
                "with 'could not identify an equality operator for type json', and each read re-parses "
                "the text"
            )
            target = "jsonb[]" if column_type.array else "jsonb"
            col = common.quote(column)
            if verb == "added":
                how = f"ALTER TABLE {context.target} ADD COLUMN {col} {target}"
            elif verb == "changed to":
                how = f"ALTER TABLE {context.target} ALTER COLUMN {col} TYPE {target}"
            else:
                how = f"{col} {target} in the CREATE TABLE"
            fix = (
                f"use jsonb: {how} (parsed once, comparable, GIN-indexable); keep json only if the exact "
                "text (key order, duplicate keys, whitespace) must be preserved"
            )
            yield self.finding(Severity.WARNING, message, fix)
