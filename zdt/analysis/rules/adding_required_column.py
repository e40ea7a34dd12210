"""adding-required-column: ADD COLUMN ... NOT NULL without a DEFAULT fails on any table with rows."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from zdt.analysis import types
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext


class AddingRequiredColumn(Rule):
    """A NOT NULL column without a DEFAULT has no value to give the rows already in the table.

    Anti-pattern: ``ALTER TABLE users ADD COLUMN age integer NOT NULL;`` works on an empty development
    database and fails with "column contains null values" on every database with data (an inline
    PRIMARY KEY implies NOT NULL and fails the same way). Best practice: since PostgreSQL 11, add it with
    a constant DEFAULT (a catalog change, no rewrite); otherwise add it nullable, backfill in batches, and
    make it NOT NULL through a validated constraint so that no step scans under AccessExclusiveLock.
    """

    id = "adding-required-column"
    summary = "ADD COLUMN ... NOT NULL needs a DEFAULT: without one it fails on every non-empty table."
    bad = "ALTER TABLE users ADD COLUMN age integer NOT NULL;"
    good = "ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0;"
    bad_fails_with = "NotNullViolation"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        for column in common.added_columns(context):
            required = column.is_not_null or common.constraints_of(
                column, ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY
            )
            if not required or common.default_of(column) is not None or common.fills_existing_rows(column):
                continue
            yield self._finding(
                context,
                table,
                common.colname_of(column),
                str(types.from_type_name(common.type_name_of(column))),
            )

    def _finding(self, context: RuleContext, table: str, column: str, type_name: str) -> Finding:
        name = common.column_name(table, column)
        known_empty = context.size is not None and context.size.rows == 0
        if known_empty:
            severity = Severity.WARNING
            outcome = "succeeds only while the table is empty: on any database with rows it fails"
        else:
            severity = Severity.ERROR
            outcome = "fails with 'column contains null values' as soon as the table has a row"
        message = (
            f"{name} is added NOT NULL without a DEFAULT: existing rows of {table} would hold NULL, so the "
            f"statement {outcome}{context.size_note()}"
        )
        col = common.quote(column)
        route = common.not_null_route(
            table, column, context.pg_version, f"{common.relname(context)}_{column}_not_null"
        )
        if context.pg_version >= 11:
            fix = (
                f"give it a constant default: ALTER TABLE {table} ADD COLUMN {col} {type_name} NOT NULL "
                "DEFAULT <value>; (a catalog change since PostgreSQL 11, no rewrite). If existing rows need "
                f"computed values: ALTER TABLE {table} ADD COLUMN {col} {type_name}; backfill it in batches; "
                f"then {route}"
            )
        else:
            fix = (
                "before PostgreSQL 11 any DEFAULT rewrites the table, so: "
                f"ALTER TABLE {table} ADD COLUMN {col} {type_name}; "
                f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT <value>; (new rows only); "
                f"backfill existing rows in batches; then {route}"
            )
        return self.finding(severity, message, fix)
