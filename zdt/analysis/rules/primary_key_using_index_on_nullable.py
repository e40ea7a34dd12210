"""primary-key-using-index-on-nullable: a primary key on nullable columns scans for NULLs under the lock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast, parser
from pglast.enums import AlterTableType, ConstrType

from zdt.analysis import names
from zdt.analysis.fields import node_of
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext


class PrimaryKeyUsingIndexOnNullable(Rule):
    """A primary key makes its columns NOT NULL: on a nullable column that is a full scan under the lock.

    Anti-pattern: ``ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_email_key;``
    where ``email`` is nullable: building the index CONCURRENTLY avoided one long lock, but PostgreSQL
    still runs SET NOT NULL on ``email`` first, reading every row under AccessExclusiveLock (the plain
    ``ADD PRIMARY KEY (email)`` does the same, on top of building the index). Best practice: prove the
    columns NOT NULL first — ``CHECK (email IS NOT NULL) NOT VALID`` then ``VALIDATE CONSTRAINT`` (or the
    NOT NULL ... NOT VALID constraint of PostgreSQL 18) — so the primary key finds them proven and skips
    the scan (PostgreSQL 12+).
    """

    id = "primary-key-using-index-on-nullable"
    summary = (
        "Prove primary key columns NOT NULL before adding the key, or it scans under AccessExclusiveLock."
    )
    bad = "ALTER TABLE users DROP CONSTRAINT users_pkey, ADD CONSTRAINT users_email_pkey PRIMARY KEY (email);"
    good = (
        "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users DROP CONSTRAINT users_pkey,\n"
        "    ADD CONSTRAINT users_email_pkey PRIMARY KEY USING INDEX users_email_key;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        info = context.state.table(table)
        if info is None:
            return  # nullability is a catalog fact: nothing to say without a snapshot
        for command in common.alter_commands(context, AlterTableType.AT_AddConstraint):
            constraint = command.def_
            if not isinstance(constraint, ast.Constraint) or constraint.contype != ConstrType.CONSTR_PRIMARY:
                continue
            if constraint.indexname:
                columns = _index_columns(context, table, constraint.indexname)
            else:
                columns = common.key_names(constraint.keys)
            nullable = [
                column
                for column in columns
                if column in info.columns and not common.provably_not_null(context, table, column)
            ]
            if nullable:
                yield self._finding(context, table, constraint, nullable)

    def _finding(
        self, context: RuleContext, table: str, constraint: ast.Constraint, nullable: list[str]
    ) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        described = ", ".join(common.column_name(table, column) for column in nullable)
        verb = "is" if len(nullable) == 1 else "are"
        name = f"CONSTRAINT {common.quote(constraint.conname)} " if constraint.conname else ""
        if constraint.indexname:
            spelled = f"ADD {name}PRIMARY KEY USING INDEX {common.quote(constraint.indexname)}"
            tail = ""
        else:
            spelled = f"ADD {name}PRIMARY KEY"
            tail = ", and attaching an index built CONCURRENTLY with USING INDEX would not avoid it"
        message = (
            f"{spelled} on {table}: {described} {verb} nullable, so PostgreSQL first makes it NOT NULL by "
            f"reading every row under {lock}{tail}{context.size_note()}"
        )
        first = nullable[0]
        if context.pg_version < 12:
            fix = (
                f"before PostgreSQL 12 the NOT NULL check of a primary key always scans, even with a "
                f"validated CHECK ({common.quote(first)} IS NOT NULL): run it at a quiet time under "
                "lock_timeout, or upgrade and use a validated CHECK to skip the scan"
            )
        else:
            route = common.not_null_route(
                table, first, context.pg_version, f"{common.relname(context)}_{first}_not_null"
            )
            others = ", ".join(common.quote(column) for column in nullable[1:])
            fix = f"prove {common.quote(first)} NOT NULL first: {route}"
            if others:
                fix += f"; the same for {others}"
            fix += "; then add the primary key (USING INDEX an index built CONCURRENTLY): no NULL scan"
        return self.finding(context.scaled(Severity.ERROR), message, fix)


def _index_columns(context: RuleContext, table: str, index_name: str) -> list[str]:
    """Key columns of an index the snapshot knows (INCLUDE columns are not keys); [] when unknown."""
    info = context.state.table(table)
    relation = node_of(context.node, ast.AlterTableStmt, "ADD PRIMARY KEY's statement").relation
    schema = relation.schemaname if relation is not None else None
    wanted = names.qualified(schema, index_name)
    for index in info.indexes if info else ():
        if index.name != wanted:
            continue
        try:
            statement = parser.parse_sql(index.definition)[0].stmt
        except parser.ParseError:
            return []
        statement = node_of(statement, ast.IndexStmt, "pg_get_indexdef()")
        return [
            element.name
            for element in statement.indexParams or ()
            if isinstance(element, ast.IndexElem) and element.name
        ]
    return []
