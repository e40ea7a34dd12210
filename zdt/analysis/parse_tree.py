"""Reading parse trees, and catalogue text as parse trees: the column references an expression makes.

One home for what the rules and the recipes both need: which columns an expression, a CHECK, a foreign
key or an index uses, and the catalogue's own spellings (pg_get_expr, format_type, pg_get_constraintdef,
pg_get_indexdef) turned back into nodes by the parser, never by matching text. Text the parser reads
but that is not the expected kind of node raises CatalogueTextError (the planner reports it with the
statement's line).
"""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast, parser
from pglast.visitors import Visitor

from zdt.analysis.fields import required


class CatalogueTextError(ValueError):
    """The catalogue gave text that does not parse as the node it should be."""


class _ColumnRefs(Visitor):
    """Every ColumnRef under a node, in the order the tree walk meets them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[ast.ColumnRef] = []

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        self.found.append(node)


def column_refs(node: ast.Node | None) -> list[ast.ColumnRef]:
    """The ColumnRef nodes under ``node`` (themselves, not copies: callers may rewrite them in place)."""
    if node is None:
        return []
    collector = _ColumnRefs()
    collector(node)
    return collector.found


def referenced_columns(node: ast.Node | None) -> list[str]:
    """Names of the columns an expression mentions (the last part of each reference), first use first."""
    names: list[str] = []
    for reference in column_refs(node):
        last = reference.fields[-1] if reference.fields else None
        if isinstance(last, ast.String) and last.sval is not None and last.sval not in names:
            names.append(last.sval)
    return names


class _SubLinks(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_SubLink(self, ancestors: object, node: ast.SubLink) -> None:
        self.found = True


def has_subquery(node: ast.Node | None) -> bool:
    """Whether an expression runs a subquery (which reads other rows than the one it is computed for)."""
    if node is None:
        return False
    finder = _SubLinks()
    finder(node)
    return finder.found


def name_strings(values: Iterable[ast.String] | None) -> set[str]:
    """The names of a list of String nodes (a constraint's columns, a qualified name's parts)."""
    return {value.sval for value in values or () if value.sval is not None}


def parse_expression(text: str) -> ast.Node:
    """A catalogue expression (pg_get_expr output) as a parse tree."""
    statements = parser.parse_sql("SELECT " + text)
    select = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(select, ast.SelectStmt) or not select.targetList or len(select.targetList) != 1:
        raise CatalogueTextError(f"unexpected expression in the catalog: {text}")
    if select.fromClause:
        raise CatalogueTextError(f"unexpected expression in the catalog: {text}")
    return required(select.targetList[0].val, "ResTarget.val")


def type_name_of(formatted: str) -> ast.TypeName:
    """format_type() output (``character varying(50)``) as a TypeName node, checked by the parser."""
    expression = parse_expression("CAST(NULL AS " + formatted + ")")
    if not isinstance(expression, ast.TypeCast) or expression.typeName is None:
        raise CatalogueTextError(f"unexpected type name in the catalog: {formatted}")
    return expression.typeName


def parse_constraint(definition: str) -> ast.Constraint:
    """pg_get_constraintdef output (``CHECK ((a > 0))``, ``FOREIGN KEY (a) REFERENCES ...``) as a node."""
    statement = parser.parse_sql("ALTER TABLE zdt_probe ADD " + definition)[0].stmt
    command = statement.cmds[0] if isinstance(statement, ast.AlterTableStmt) and statement.cmds else None
    if command is None or not isinstance(command.def_, ast.Constraint):
        raise CatalogueTextError(f"unexpected constraint in the catalog: {definition}")
    return command.def_


def parse_index(definition: str) -> ast.IndexStmt:
    """pg_get_indexdef output as a CREATE INDEX node."""
    statement = parser.parse_sql(definition)[0].stmt
    if not isinstance(statement, ast.IndexStmt):
        raise CatalogueTextError(f"unexpected index definition in the catalog: {definition}")
    return statement


def index_columns(definition: str) -> set[str]:
    """Every column an index uses: key and INCLUDE columns, expressions and the partial-index predicate."""
    statement = parse_index(definition)
    used: set[str] = set()
    for element in (*(statement.indexParams or ()), *(statement.indexIncludingParams or ())):
        if element.name:
            used.add(element.name)
        used.update(referenced_columns(element.expr))
    return used | set(referenced_columns(statement.whereClause))


def rename_index_column(statement: ast.IndexStmt, old: str, new: str) -> None:
    """Point every use of column ``old`` in a parsed index definition at ``new`` (in place)."""
    for element in (*(statement.indexParams or ()), *(statement.indexIncludingParams or ())):
        if element.name == old:
            element.name = new
    for reference in column_refs(statement):
        fields = reference.fields or ()
        if len(fields) == 1 and isinstance(fields[0], ast.String) and fields[0].sval == old:
            reference.fields = (ast.String(new),)
