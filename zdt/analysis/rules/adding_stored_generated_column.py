"""adding-stored-generated-column: a STORED generated column is computed into every row: a rewrite."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ConstrType

from zdt.analysis import types
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext


class AddingStoredGeneratedColumn(Rule):
    """ADD COLUMN ... GENERATED ALWAYS AS (...) STORED computes and writes the value for every row.

    Anti-pattern: ``ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title))
    STORED;`` rewrites posts and rebuilds its indexes under AccessExclusiveLock (before PostgreSQL 18
    every generated column is stored). Best practice: add a plain nullable column, keep it up to date with
    a BEFORE INSERT OR UPDATE trigger and fill existing rows in batches; on PostgreSQL 18 a VIRTUAL
    generated column (computed when read, not indexable) is added without a rewrite.
    """

    id = "adding-stored-generated-column"
    summary = (
        "Adding a STORED generated column (any generated column before PostgreSQL 18) rewrites the table."
    )
    bad = "ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title)) STORED;"
    good = (
        "ALTER TABLE posts ADD COLUMN title_lower text;\n"
        "CREATE FUNCTION posts_title_lower() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.title_lower := lower(NEW.title); RETURN NEW; END $$;\n"
        "CREATE TRIGGER posts_title_lower BEFORE INSERT OR UPDATE OF title ON posts\n"
        "    FOR EACH ROW EXECUTE FUNCTION posts_title_lower();\n"
        "UPDATE posts SET title_lower = lower(title) WHERE id BETWEEN 1 AND 1000;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        for column in common.added_columns(context):
            for generated in common.constraints_of(column, ConstrType.CONSTR_GENERATED):
                if generated.generated_kind == "s":
                    yield self._stored(context, table, column, generated)
                elif context.pg_version < 18:
                    yield self._virtual_before_18(context, table, column)

    def _stored(
        self, context: RuleContext, table: str, column: ast.ColumnDef, generated: ast.Constraint
    ) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        expression = common.to_sql(required(generated.raw_expr, "GENERATED constraint's raw_expr"))
        name = common.column_name(table, common.colname_of(column))
        message = (
            f"ADD COLUMN {name} GENERATED ALWAYS AS ({expression}) "
            f"STORED computes the value for every existing row: {table} is rewritten and its indexes "
            f"rebuilt while holding {lock}{context.size_note()}"
        )
        return self.finding(
            context.scaled(Severity.ERROR), message, self._fix(context, table, column, expression)
        )

    def _virtual_before_18(self, context: RuleContext, table: str, column: ast.ColumnDef) -> Finding:
        name = common.column_name(table, common.colname_of(column))
        message = (
            f"ADD COLUMN {name} is a VIRTUAL generated column, which "
            f"PostgreSQL {context.pg_version} does not have (it arrived in 18): the statement fails there, "
            f"and writing it STORED would rewrite {table} under AccessExclusiveLock"
        )
        generated = common.constraints_of(column, ConstrType.CONSTR_GENERATED)[0]
        expression = common.to_sql(required(generated.raw_expr, "GENERATED constraint's raw_expr"))
        fix = self._fix(context, table, column, expression)
        return self.finding(Severity.ERROR, message, fix)

    def _fix(self, context: RuleContext, table: str, column: ast.ColumnDef, expression: str) -> str:
        col = common.quote(common.colname_of(column))
        type_name = str(types.from_type_name(common.type_name_of(column)))
        function = common.quote(f"{common.relname(context)}_{common.colname_of(column)}")
        fix = (
            f"ALTER TABLE {table} ADD COLUMN {col} {type_name}; a BEFORE INSERT OR UPDATE trigger "
            f"({function}) that sets NEW.{col} := {expression}; then fill existing rows in batches: "
            f"UPDATE {table} SET {col} = {expression} WHERE <key range>;"
        )
        if context.pg_version >= 18:
            fix += (
                f" Or, if it need not be indexed: ADD COLUMN {col} {type_name} GENERATED ALWAYS AS "
                f"({expression}) VIRTUAL; (computed when read, no rewrite)"
            )
        else:
            fix += " (PostgreSQL 18 adds VIRTUAL generated columns, computed when read, with no rewrite.)"
        return fix
