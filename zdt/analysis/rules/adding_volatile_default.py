"""adding-volatile-default: ADD COLUMN with a volatile DEFAULT (before PG 11: any DEFAULT) rewrites."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis import types
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext
from zdt.analysis.volatility import called_functions, is_volatile


class AddingVolatileDefault(Rule):
    """A DEFAULT that must be computed per row makes ADD COLUMN write a new copy of the whole table.

    Anti-pattern: ``ALTER TABLE posts ADD COLUMN token uuid DEFAULT gen_random_uuid();`` (or random(),
    clock_timestamp(), nextval(), a user function not declared STABLE/IMMUTABLE) rewrites posts and
    rebuilds its indexes under AccessExclusiveLock; before PostgreSQL 11 every non-NULL default did.
    Best practice: add the column without a default (or with a constant one, a catalog change since
    PostgreSQL 11), then ``ALTER COLUMN ... SET DEFAULT`` (applies to new rows only, no rewrite), and fill
    the existing rows with batched UPDATEs.
    """

    id = "adding-volatile-default"
    summary = "ADD COLUMN with a volatile DEFAULT (any DEFAULT before PostgreSQL 11) rewrites the table."
    bad = "ALTER TABLE posts ADD COLUMN token uuid DEFAULT gen_random_uuid();"
    good = (
        "ALTER TABLE posts ADD COLUMN token uuid;\n"
        "ALTER TABLE posts ALTER COLUMN token SET DEFAULT gen_random_uuid();\n"
        "UPDATE posts SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 1000 AND token IS NULL;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists or not context.effect.rewrites_table:
            return
        table = context.target
        assert table is not None
        volatility = context.state.snapshot.function_volatility if context.state.snapshot else None
        for column in common.added_columns(context):
            default = common.default_of(column)
            if default is None or common.fills_existing_rows(column):
                continue
            volatile = is_volatile(default, volatility)
            if volatile or context.pg_version < 11:
                yield self._finding(context, table, column, default, volatile, volatility)

    def _finding(
        self,
        context: RuleContext,
        table: str,
        column: ast.ColumnDef,
        default: ast.Node,
        volatile: bool,
        volatility: dict[str, str] | None,
    ) -> Finding:
        name = common.column_name(table, common.colname_of(column))
        expression = common.to_sql(default)
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        if volatile:
            reason = (
                f"the default {_volatility_reason(default, volatility)}: it is computed for each existing row"
            )
        else:
            reason = (
                f"before PostgreSQL 11 (target: {context.pg_version}) every non-NULL default is written into "
                "each existing row"
            )
        message = (
            f"ADD COLUMN {name} DEFAULT {expression} rewrites the whole of {table} and rebuilds its indexes "
            f"while holding {lock}: {reason}{context.size_note()}"
        )
        col = common.quote(common.colname_of(column))
        type_name = str(types.from_type_name(common.type_name_of(column)))
        fix = (
            f"ALTER TABLE {table} ADD COLUMN {col} {type_name}; then ALTER TABLE {table} ALTER COLUMN "
            f"{col} SET DEFAULT {expression}; (new rows only, no rewrite); then fill existing rows in "
            f"batches, e.g. UPDATE {table} SET {col} = {expression} WHERE <key range> AND {col} IS NULL;"
        )
        if volatile and context.pg_version >= 11:
            fix += " A constant DEFAULT instead would be a catalog-only change."
        return self.finding(context.scaled(Severity.ERROR), message, fix)


def _volatility_reason(default: ast.Node, volatility: dict[str, str] | None) -> str:
    volatile: list[str] = []
    unknown: list[str] = []
    for function in dict.fromkeys(called_functions(default)):
        if is_volatile(ast.FuncCall(funcname=(ast.String(sval=function),)), volatility):
            known = volatility is not None and function in volatility
            (volatile if known else unknown).append(f"{function}()")
    parts = []
    if volatile:
        parts.append(f"calls volatile {', '.join(volatile)}")
    if unknown:
        parts.append(f"calls {', '.join(unknown)}, not known to be STABLE or IMMUTABLE")
    return " and ".join(parts) or "is volatile"
