"""setting-not-null: SET NOT NULL scans the whole table under AccessExclusiveLock unless a CHECK proves it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext


class SettingNotNull(Rule):
    """Making a column NOT NULL reads every row to look for NULLs while holding AccessExclusiveLock.

    Anti-pattern: ``ALTER TABLE users ALTER COLUMN email SET NOT NULL;`` on a live table (and, on
    PostgreSQL 18, ``ADD CONSTRAINT ... NOT NULL email`` without NOT VALID): nothing can read or write
    users until the scan ends. Best practice (PostgreSQL 12+): ``ADD CONSTRAINT c CHECK (email IS NOT
    NULL) NOT VALID``, ``VALIDATE CONSTRAINT c`` in another transaction (ShareUpdateExclusiveLock), then
    ``SET NOT NULL`` finds the validated CHECK and skips the scan, and ``DROP CONSTRAINT c``. On
    PostgreSQL 18: ``ADD CONSTRAINT c NOT NULL email NOT VALID`` then ``VALIDATE CONSTRAINT c``.
    """

    id = "setting-not-null"
    summary = (
        "SET NOT NULL on an existing table scans it under AccessExclusiveLock; prove it with a CHECK first."
    )
    bad = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    good = (
        "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n"
        "-- in the next migration, once the snapshot shows the validated CHECK (no scan):\n"
        "--   ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        "--   ALTER TABLE users DROP CONSTRAINT users_email_not_null;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists or not context.effect.scans_table:
            return
        table = context.target
        assert table is not None
        for command in common.alter_commands(context, AlterTableType.AT_SetNotNull):
            column = required(command.name, "SET NOT NULL's AlterTableCmd.name")
            if not common.provably_not_null(context, table, column):
                yield self._finding(context, table, column, "ALTER COLUMN {col} SET NOT NULL")
        for command in common.alter_commands(context, AlterTableType.AT_AddConstraint):
            constraint = command.def_
            if not _is_validated_not_null(constraint):
                continue
            for column in common.key_names(constraint.keys):
                if not common.provably_not_null(context, table, column):
                    name = common.quote(constraint.conname) if constraint.conname else ""
                    spelled = f"ADD CONSTRAINT {name} NOT NULL {{col}}" if name else "ADD NOT NULL {col}"
                    yield self._finding(context, table, column, spelled)

    def _finding(self, context: RuleContext, table: str, column: str, spelled: str) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        statement = spelled.format(col=common.quote(column))
        message = (
            f"{statement} on {common.column_name(table, column)} reads every row of {table} to check for "
            f"NULLs while holding {lock}: reads and writes wait for the whole scan{context.size_note()}"
        )
        constraint = f"{common.relname(context)}_{column}_not_null"
        fix = common.not_null_route(table, column, context.pg_version, constraint)
        return self.finding(context.scaled(Severity.ERROR), message, fix)


def _is_validated_not_null(constraint: object) -> TypeGuard[ast.Constraint]:
    return (
        isinstance(constraint, ast.Constraint)
        and constraint.contype == ConstrType.CONSTR_NOTNULL
        and not constraint.skip_validation
    )
