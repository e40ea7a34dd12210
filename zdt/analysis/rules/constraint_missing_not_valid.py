"""constraint-missing-not-valid: add CHECK and FOREIGN KEY constraints NOT VALID, validate them later."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.parse_tree import referenced_columns
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext


class ConstraintMissingNotValid(Rule):
    """Adding a CHECK or FOREIGN KEY constraint checks every existing row while the ALTER holds its lock.

    Anti-pattern: ``ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status IN (...));`` scans
    posts under AccessExclusiveLock (nothing can read or write it meanwhile); a FOREIGN KEY scans under
    ShareRowExclusiveLock on both tables, so writes to the table and to the one it references wait.
    Best practice: add it ``NOT VALID`` (a catalog change: new rows are checked at once), then run
    ``ALTER TABLE ... VALIDATE CONSTRAINT`` in a separate transaction: that scan takes only
    ShareUpdateExclusiveLock, so reads and writes go on.
    """

    id = "constraint-missing-not-valid"
    summary = "Add CHECK and FOREIGN KEY constraints to existing tables NOT VALID, then VALIDATE separately."
    bad = "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status IN ('draft', 'published'));"
    good = (
        "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status IN ('draft', 'published')) "
        "NOT VALID;\n"
        "ALTER TABLE posts VALIDATE CONSTRAINT posts_status_check;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        for command in common.alter_commands(context, AlterTableType.AT_AddConstraint):
            constraint = command.def_
            if not isinstance(constraint, ast.Constraint) or constraint.skip_validation:
                continue
            if constraint.contype == ConstrType.CONSTR_CHECK:
                yield self._check_finding(context, table, constraint)
            elif constraint.contype == ConstrType.CONSTR_FOREIGN:
                yield self._foreign_key_finding(context, table, constraint)

    def _check_finding(self, context: RuleContext, table: str, constraint: ast.Constraint) -> Finding:
        check = required(constraint.raw_expr, "CHECK's Constraint.raw_expr")
        columns = referenced_columns(check)
        name = constraint.conname or f"{common.relname(context)}_{'_'.join(columns) or 'expr'}_check"
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        on = ", ".join(common.column_name(table, column) for column in columns) or table
        message = (
            f"ADD CONSTRAINT {common.quote(name)} CHECK ({common.to_sql(check)}) on {on} "
            f"checks every row of {table} while holding {lock}: reads and writes on {table} wait for the "
            f"whole scan{context.size_note()}"
        )
        fix = (
            f"ALTER TABLE {table} ADD CONSTRAINT {common.quote(name)} CHECK "
            f"({common.to_sql(check)}) NOT VALID; then, in a separate transaction, "
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {common.quote(name)}; (the validation scan takes only "
            "ShareUpdateExclusiveLock, so reads and writes continue)"
        )
        return self.finding(context.scaled(Severity.ERROR), message, fix)

    def _foreign_key_finding(self, context: RuleContext, table: str, constraint: ast.Constraint) -> Finding:
        referenced = names.of_range_var(required(constraint.pktable, "FOREIGN KEY's Constraint.pktable"))
        columns = common.key_names(constraint.fk_attrs)
        name = constraint.conname or f"{common.relname(context)}_{'_'.join(columns)}_fkey"
        lock = context.effect.locks.get(table, LockMode.SHARE_ROW_EXCLUSIVE)
        referenced_lock = context.effect.locks.get(referenced, LockMode.SHARE_ROW_EXCLUSIVE)
        described = ", ".join(common.column_name(table, column) for column in columns)
        message = (
            f"ADD CONSTRAINT {common.quote(name)} FOREIGN KEY ({described}) REFERENCES {referenced} checks "
            f"every row of {table} against {referenced} while holding {lock} on {table} and "
            f"{referenced_lock} on {referenced}: writes to both wait for the whole scan{context.size_note()}"
        )
        definition = common.to_sql(constraint)
        if constraint.conname is None:
            definition = f"CONSTRAINT {common.quote(name)} {definition}"
        fix = (
            f"ALTER TABLE {table} ADD {definition} NOT VALID; then, in a separate transaction, "
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {common.quote(name)}; (the validation scan takes "
            f"ShareUpdateExclusiveLock on {table} and RowShareLock on {referenced}: writes continue)"
        )
        info = context.state.table(table)
        if info is not None and info.kind == "p" and context.pg_version < 18:
            fix += (
                ". Before PostgreSQL 18 a partitioned table rejects NOT VALID foreign keys: add and "
                f"validate it on each partition of {table} that way first, then on {table} itself, "
                "which adopts the validated partition constraints instead of scanning again"
            )
        return self.finding(context.scaled(Severity.ERROR), message, fix)
