"""adding-unique-constraint: UNIQUE / PRIMARY KEY / EXCLUDE build their index under AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_KINDS = {
    ConstrType.CONSTR_UNIQUE: "UNIQUE",
    ConstrType.CONSTR_PRIMARY: "PRIMARY KEY",
    ConstrType.CONSTR_EXCLUSION: "EXCLUDE",
}


class AddingUniqueConstraint(Rule):
    """ADD CONSTRAINT ... UNIQUE / PRIMARY KEY / EXCLUDE builds a new index while holding AccessExclusiveLock.

    Anti-pattern: ``ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`` blocks every read
    and write of users for the whole index build (an inline ``ADD COLUMN ... UNIQUE`` does the same).
    Best practice: ``CREATE UNIQUE INDEX CONCURRENTLY`` first (writes go on), then ``ADD CONSTRAINT ...
    UNIQUE USING INDEX`` (or ``PRIMARY KEY USING INDEX``), a catalog change. Exclusion constraints have no
    USING INDEX form: their build always holds the lock.
    """

    id = "adding-unique-constraint"
    summary = "Build UNIQUE / PRIMARY KEY indexes CONCURRENTLY, then attach them with USING INDEX."
    bad = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"
    good = (
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        for command in common.alter_commands(context, AlterTableType.AT_AddConstraint):
            constraint = command.def_
            if (  # builds an index
                isinstance(constraint, ast.Constraint)
                and constraint.contype in _KINDS
                and not constraint.indexname
            ):
                yield self._finding(context, table, constraint, common.key_names(constraint.keys))
        for column in common.added_columns(context):
            for constraint in common.constraints_of(
                column, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY
            ):
                yield self._finding(context, table, constraint, [common.colname_of(column)], inline=True)

    def _finding(
        self,
        context: RuleContext,
        table: str,
        constraint: ast.Constraint,
        columns: list[str],
        *,
        inline: bool = False,
    ) -> Finding:
        kind = _KINDS[required(constraint.contype, "Constraint.contype")]
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        if constraint.contype == ConstrType.CONSTR_EXCLUSION:
            columns = [
                element[0].name
                for element in constraint.exclusions or ()
                if isinstance(element[0], ast.IndexElem) and element[0].name
            ]
        described = ", ".join(common.column_name(table, column) for column in columns) or table
        spelled = f"ADD COLUMN ... {kind}" if inline else f"ADD {kind}"
        if constraint.conname:
            spelled = f"ADD CONSTRAINT {common.quote(constraint.conname)} {kind}"
        message = (
            f"{spelled} on {described} builds a new index on {table} while holding {lock}: reads and writes "
            f"wait for the whole build{context.size_note()}"
        )
        if constraint.contype == ConstrType.CONSTR_EXCLUSION:
            fix = (
                "there is no online route for an exclusion constraint (it cannot adopt an index built "
                "CONCURRENTLY): run it in a maintenance window under lock_timeout and statement_timeout, "
                "or create the constraint on a new table and move the rows there"
            )
            return self.finding(context.scaled(Severity.ERROR), message, fix)
        fix = self._using_index_fix(context, table, constraint, columns, kind, inline=inline)
        return self.finding(context.scaled(Severity.ERROR), message, fix)

    def _using_index_fix(
        self,
        context: RuleContext,
        table: str,
        constraint: ast.Constraint,
        columns: list[str],
        kind: str,
        *,
        inline: bool,
    ) -> str:
        suffix = "pkey" if constraint.contype == ConstrType.CONSTR_PRIMARY else "key"
        name = constraint.conname or f"{common.relname(context)}_{'_'.join(columns)}_{suffix}"
        index = common.quote(name)
        keys = ", ".join(common.quote(column) for column in columns)
        include = common.key_names(constraint.including)
        extra = f" INCLUDE ({', '.join(common.quote(c) for c in include)})" if include else ""
        if constraint.nulls_not_distinct:
            extra += " NULLS NOT DISTINCT"
        first = f"ALTER TABLE {table} ADD COLUMN <column> (without {kind}); then " if inline else ""
        fix = (
            f"{first}CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} ({keys}){extra}; (outside a "
            "transaction block; drop the index and retry if it ends INVALID) then "
            f"ALTER TABLE {table} ADD CONSTRAINT {index} {kind} USING INDEX {index}; (a catalog change)"
        )
        if constraint.contype == ConstrType.CONSTR_PRIMARY:
            fix += (
                ". The key columns must already be NOT NULL (or proven by a validated CHECK (col IS NOT "
                "NULL)), or PRIMARY KEY USING INDEX scans the table for NULLs under AccessExclusiveLock"
            )
        info = context.state.table(table)
        if info is not None and info.kind == "p":
            fix += (
                f". {table} is partitioned, and neither CONCURRENTLY nor USING INDEX works on the parent: do "
                "this on each partition, then add the constraint to the parent, which adopts the matching "
                "partition constraints instead of building new indexes"
            )
        return fix
