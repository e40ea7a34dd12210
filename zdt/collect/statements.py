"""Is this text a query the application sends? The real parser decides, never a keyword search.

A string counts as a query only when pglast parses it as exactly one SELECT, INSERT, UPDATE, DELETE or
MERGE statement: "select a plan" or "Delete this post?" do not parse, and ``CREATE TABLE``, ``SET`` or
``BEGIN`` are statements, but not the application's reads and writes that a migration can break.
"""

from __future__ import annotations

from pglast import ast, parser
from pglast.enums import SetOperation
from pglast.visitors import Skip, Visitor

from zdt.analysis.source import SqlSyntaxError, parse_statements

QUERY_KINDS = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "zdt"})


def parses(text: str) -> bool:
    """Whether the parser accepts ``text`` at all (as any statements)."""
    try:
        parse_statements(text)
    except (SqlSyntaxError, parser.ParseError):
        return False
    return True


def query_kind(text: str) -> str | None:
    """The statement's node type when ``text`` is one DML/SELECT statement, else None."""
    if not text.strip():
        return None
    try:
        statements = parse_statements(text)
    except (SqlSyntaxError, parser.ParseError):
        return None
    if len(statements) != 1:
        return None
    node = statements[0].node
    kind = statements[0].kind
    if kind not in QUERY_KINDS:
        return None
    if isinstance(node, ast.SelectStmt) and not _plausible_select(node):
        return None
    return kind


def _plausible_select(node: ast.SelectStmt) -> bool:
    """Prose like "select done" parses (``SELECT done``), but a SELECT without FROM cannot use a column.

    So a SELECT with no FROM must have a target list and name no column (``SELECT 1``, ``SELECT now()``,
    ``SELECT $1::int`` stay); set operations and VALUES lists are judged by their parts' shape as parsed.
    """
    if node.op != SetOperation.SETOP_NONE:
        return all(_plausible_select(part) for part in (node.larg, node.rarg) if part is not None)
    if node.valuesLists or node.fromClause:
        return True
    return bool(node.targetList) and not _outer_columns(node)


class _OuterColumns(Visitor):
    """Column references outside subqueries: ``SELECT EXISTS (SELECT 1 FROM t WHERE id = $1)`` has none."""

    def __init__(self) -> None:
        super().__init__()
        self.found = 0

    def visit_SubLink(self, ancestors: object, node: ast.SubLink) -> type[Skip]:
        return Skip

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        self.found += 1


def _outer_columns(node: ast.SelectStmt) -> int:
    visitor = _OuterColumns()
    visitor(node)
    return visitor.found


def parameter(number: int) -> str:
    """The PREPARE-style parameter an interpolation becomes: ``$1``, ``$2``, ..."""
    return f"${number}"


class _Relations(Visitor):
    """Relations and functions a statement names: enough to tell a catalogue read from the application's."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: list[ast.RangeVar] = []
        self.functions: list[str] = []

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.relations.append(node)

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        names = [getattr(part, "sval", "") for part in node.funcname or ()]
        self.functions.append(names[-1] if names else "")


def _is_system(relation: ast.RangeVar) -> bool:
    return relation.schemaname in SYSTEM_SCHEMAS or (relation.relname or "").startswith("pg_")


def reads_only_the_system(text: str) -> bool:
    """A statement about the server rather than the application's data (parsed, never matched as text).

    It reads a catalogue, ``pg_stat_*`` view or zdt's own ``zdt`` schema, or reads no relation at all and
    calls a ``pg_*`` function (``SELECT pg_current_wal_lsn()``): what zdt's monitor, executor and
    introspection send, and other tools' probes like them.
    """
    try:
        statements = parse_statements(text)
    except (SqlSyntaxError, parser.ParseError):
        return False
    visitor = _Relations()
    for statement in statements:
        visitor(statement.node)
    if any(_is_system(relation) for relation in visitor.relations):
        return True
    return not visitor.relations and any(name.startswith("pg_") for name in visitor.functions)
