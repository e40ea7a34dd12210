"""prefer-timestamptz: timestamp without time zone stores wall-clock times that mean nothing on their own."""

from __future__ import annotations

from collections.abc import Iterable

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_NAIVE = frozenset({"timestamp without time zone"})


class PreferTimestamptz(Rule):
    """``timestamp`` (without time zone) records a wall-clock reading, not an instant.

    Anti-pattern: ``ALTER TABLE posts ADD COLUMN published_at timestamp;`` — the value depends on the
    TimeZone of whoever wrote it, ``now()`` is silently converted to local time, and an hour a year is
    ambiguous around daylight-saving changes. Best practice: ``timestamptz`` (timestamp with time zone),
    the same 8 bytes, storing an absolute instant shown in each session's TimeZone.
    """

    id = "prefer-timestamptz"
    summary = "Use timestamptz rather than timestamp without time zone."
    bad = "ALTER TABLE posts ADD COLUMN published_at timestamp;"
    good = "ALTER TABLE posts ADD COLUMN published_at timestamptz;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        for column, column_type, verb in common.declared_types(context):
            if column_type.base not in _NAIVE:
                continue
            name = common.column_name(context.target, column)
            spelled = "changed to" if verb == "changed to" else f"{verb} as"
            message = (
                f"{name} is {spelled} {common.type_text(column_type)}: it stores a wall-clock reading "
                "with no zone, so its meaning depends on the TimeZone of the session that wrote it, "
                "and values around daylight-saving changes are ambiguous"
            )
            replacement = common.type_text(column_type).replace("without time zone", "with time zone")
            fix = f"use {replacement} (timestamptz): the same 8 bytes, an absolute instant"
            if verb == "changed to":
                fix += "; keep the column as it is if it is already timestamptz"
            elif context.pg_version >= 12:
                fix += (
                    "; an existing timestamp column can be converted later with ALTER COLUMN ... TYPE "
                    "timestamptz without a rewrite when the session TimeZone is UTC (PostgreSQL 12+)"
                )
            yield self.finding(Severity.WARNING, message, fix)
