"""prefer-bigint-primary-key: integer ids run out; widening them later rewrites the table."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ConstrType

from zdt.analysis import types
from zdt.analysis.fields import required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_LIMITS = {"integer": 2_147_483_647, "smallint": 32_767}


class PreferBigintPrimaryKey(Rule):
    """An integer (int4) or smallint key generated from a sequence has a ceiling a busy table reaches.

    Anti-pattern: ``CREATE TABLE comments (id serial PRIMARY KEY, ...);`` — after 2,147,483,647 rows
    (or sequence values burnt by rolled-back inserts) every INSERT fails, and ``ALTER COLUMN id TYPE
    bigint`` then rewrites the table, its indexes and every referencing column under AccessExclusiveLock.
    Best practice: ``bigint GENERATED ALWAYS AS IDENTITY`` (or bigserial) from the start; the extra
    4 bytes per row are cheap next to that migration.
    """

    id = "prefer-bigint-primary-key"
    summary = "Use bigint for primary keys and sequence-generated ids: integer runs out at 2.1 billion."
    bad = "CREATE TABLE comments (id serial PRIMARY KEY, post_id bigint NOT NULL, body text);"
    good = (
        "CREATE TABLE comments (\n"
        "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, post_id bigint NOT NULL, body text\n"
        ");"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        keys = _table_level_single_keys(context.node)
        columns = [*common.created_columns(context), *common.added_columns(context)]
        for column in columns:
            column_type = types.from_type_name(common.type_name_of(column))
            if column_type.base not in _LIMITS:
                continue
            described = _describe(column, column_type.base, common.colname_of(column) in keys)
            if described is not None:
                yield self._finding(context, column, column_type.base, described)

    def _finding(self, context: RuleContext, column: ast.ColumnDef, base: str, described: str) -> Finding:
        colname = common.colname_of(column)
        name = common.column_name(context.target, colname)
        article = "an" if described[0] in "aeiou" else "a"
        message = (
            f"{name} is {article} {described}: it runs out at {_LIMITS[base]:,}, and widening it to bigint "
            f"later rewrites {context.target}, its indexes and every column referencing it under "
            "AccessExclusiveLock"
        )
        fix = (
            f"declare {common.quote(colname)} bigint GENERATED ALWAYS AS IDENTITY (or bigserial), "
            "and make the columns that reference it bigint too: 4 more bytes per row, no ceiling in sight"
        )
        return self.finding(Severity.WARNING, message, fix)


def _table_level_single_keys(node: ast.Node) -> set[str]:
    """Columns that a CREATE TABLE's table-level PRIMARY KEY (one column) names."""
    if not isinstance(node, ast.CreateStmt):
        return set()
    keys: set[str] = set()
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_PRIMARY:
            names = common.key_names(element.keys)
            if len(names) == 1:
                keys.add(names[0])
    return keys


def _describe(column: ast.ColumnDef, base: str, table_level_key: bool) -> str | None:
    """'serial (integer) primary key', 'integer identity column', 'smallint primary key' or None."""
    primary = table_level_key or bool(common.constraints_of(column, ConstrType.CONSTR_PRIMARY))
    what = "primary key" if primary else "column"
    type_name = common.type_name_of(column)
    if types.is_serial(type_name):
        return f"{required(type_name.names, 'TypeName.names')[-1].sval} ({base}) {what}"
    if common.constraints_of(column, ConstrType.CONSTR_IDENTITY):
        return f"{base} identity {what}"
    return f"{base} primary key" if primary else None
