"""The SQL inside a PL/pgSQL body (a DO block), read with PostgreSQL's own PL/pgSQL parser (pglast).

A DO block is one statement to the server but a program to zdt: what it locks and whether the policy
allows it is decided by the statements it runs. The body is parsed by pglast's ``parse_plpgsql`` (as the
body of a ``CREATE FUNCTION`` wrapper, the form that parser takes), then every SQL text it holds is
collected with its line in the body:

- ``statement``: static SQL (``UPDATE ...``, ``PERFORM ...``, the query of ``FOR ... IN SELECT``);
- ``expression``: conditions, assignments, defaults, ``RAISE`` arguments, as ``SELECT <expression>``
  (they may call functions or read tables too);
- ``execute``: ``EXECUTE`` of a string constant, parsed as the SQL it runs.

``EXECUTE`` of anything else (``format(...)``, a variable, a concatenation) builds its SQL at run time:
it is listed in ``run_time``, with its expression, for the caller to refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast, parser

from zdt.analysis.fields import required

# PL/pgSQL statements whose "query" (or "dynquery") expression is SQL text built at run time.
_DYNAMIC_STATEMENTS = {"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"}
_DYNAMIC_KEYS = {"dynquery"}
_RAW_PARSE_DEFAULT = 0  # PLpgSQL_expr.parseMode of a whole SQL statement
_ASSIGNMENT_MODES = {3, 4, 5}  # RAW_PARSE_PLPGSQL_ASSIGN1..3: "target := expression"


class PlpgsqlError(ValueError):
    """A body zdt cannot read: not PL/pgSQL, or not parseable."""


@dataclass(frozen=True)
class EmbeddedSql:
    line: int  # 1-based, within the body
    sql: str
    node: ast.Node
    source: str  # "statement", "expression" or "execute"


@dataclass(frozen=True)
class RunTimeSql:
    line: int
    expression: str  # what EXECUTE evaluates to get its SQL


@dataclass
class PlpgsqlBody:
    embedded: list[EmbeddedSql] = field(default_factory=list)
    run_time: list[RunTimeSql] = field(default_factory=list)
    transaction_control: list[int] = field(default_factory=list)  # lines of COMMIT / ROLLBACK

    @property
    def statements(self) -> list[EmbeddedSql]:
        """The SQL statements it runs (static and constant EXECUTE), expressions left out."""
        return [item for item in self.embedded if item.source != "expression"]


def do_block_code(node: ast.DoStmt) -> tuple[str, str]:
    """(language, body) of a DO statement; the language defaults to plpgsql."""
    language, body = "plpgsql", None
    for option in node.args or ():
        if isinstance(option, ast.DefElem) and isinstance(option.arg, ast.String):
            if option.defname == "language":
                language = required(option.arg.sval, "DO LANGUAGE").lower()
            elif option.defname == "as":
                body = option.arg.sval
    return language, required(body, "the DO block's body")


def read_do_block(node: ast.DoStmt) -> PlpgsqlBody:
    """Everything the DO block runs; raises PlpgsqlError when it is not PL/pgSQL or cannot be parsed."""
    language, body = do_block_code(node)
    if language != "plpgsql":
        raise PlpgsqlError(f"the DO block is in LANGUAGE {language}: zdt reads PL/pgSQL only")
    return read_body(body)


def read_body(body: str) -> PlpgsqlBody:
    tag = "$zdt_do$"
    while tag in body:
        tag = tag[:-1] + "_$"
    return read_function(f"CREATE FUNCTION zdt_do_block() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}")


def read_function(definition: str) -> PlpgsqlBody:
    """Everything a whole ``CREATE FUNCTION ... LANGUAGE plpgsql`` runs: its parameters, its return type
    (a trigger's NEW and OLD) as declared."""
    try:
        tree = pglast.parse_plpgsql(definition)
    except parser.ParseError as error:
        raise PlpgsqlError(f"the PL/pgSQL body does not parse: {error}") from None
    found = PlpgsqlBody(transaction_control=list(_transaction_control(tree)))
    for line, expression, dynamic in _expressions(tree):
        query = str(expression.get("query", ""))
        mode = expression.get("parseMode", _RAW_PARSE_DEFAULT)
        if dynamic:
            constant = _string_constant(query)
            if constant is None:
                found.run_time.append(RunTimeSql(line, query))
            else:
                found.embedded.extend(
                    EmbeddedSql(line, sql, node, "execute") for sql, node in _parse(constant)
                )
        elif mode == _RAW_PARSE_DEFAULT:
            found.embedded.extend(EmbeddedSql(line, sql, node, "statement") for sql, node in _parse(query))
        else:
            text = "SELECT " + (_assigned_value(query) if mode in _ASSIGNMENT_MODES else query)
            found.embedded.extend(EmbeddedSql(line, sql, node, "expression") for sql, node in _parse(text))
    return found


def _expressions(
    value: Any, *, line: int = 1, statement: str = "", key: str = ""
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """Every PLpgSQL_expr of the parsed body: (line, the expression, whether it is run-time SQL).

    ``statement`` is the PL/pgSQL statement being walked and ``key`` the field holding ``value``.
    """
    if isinstance(value, list):
        for item in value:
            yield from _expressions(item, line=line, statement=statement, key=key)
        return
    if not isinstance(value, dict):
        return
    line = int(value.get("lineno", line))
    expression = value.get("PLpgSQL_expr")
    if isinstance(expression, dict):
        dynamic = key in _DYNAMIC_KEYS or (statement in _DYNAMIC_STATEMENTS and key == "query")
        yield line, expression, dynamic
        return
    for name, item in value.items():
        inner = name if name.startswith("PLpgSQL_stmt") else statement
        yield from _expressions(item, line=line, statement=inner, key=name)


def _transaction_control(value: Any, line: int = 1) -> Iterator[int]:
    """Lines of the body's COMMIT and ROLLBACK statements (they end the caller's transaction)."""
    if isinstance(value, list):
        for item in value:
            yield from _transaction_control(item, line)
    elif isinstance(value, dict):
        line = int(value.get("lineno", line))
        for name, item in value.items():
            if name in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
                yield int(item.get("lineno", line)) if isinstance(item, dict) else line
            else:
                yield from _transaction_control(item, line)


def _parse(text: str) -> list[tuple[str, ast.Node]]:
    try:
        statements = parser.parse_sql(text)
    except parser.ParseError as error:
        raise PlpgsqlError(f"{' '.join(text.split())}: {error}") from None
    parsed = []
    for raw in statements:
        location = raw.stmt_location or 0
        length = raw.stmt_len or len(text) - location
        parsed.append((text[location : location + length].strip(), required(raw.stmt, "RawStmt.stmt")))
    return parsed


def _string_constant(expression: str) -> str | None:
    """The text of ``expression`` when it is a single string constant ('...', E'...', $$...$$)."""
    try:
        statements = parser.parse_sql("SELECT " + expression)
    except parser.ParseError:
        return None
    select = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(select, ast.SelectStmt) or not select.targetList or len(select.targetList) != 1:
        return None
    value = select.targetList[0].val
    if isinstance(value, ast.A_Const) and isinstance(value.val, ast.String):
        return value.val.sval
    return None


def _assigned_value(assignment: str) -> str:
    """'n := expression' -> 'expression', the target found by PostgreSQL's SQL scanner (:= or =)."""
    depth = 0
    for token in parser.scan(assignment):
        if token.name in ("ASCII_91", "ASCII_40"):  # [ (
            depth += 1
        elif token.name in ("ASCII_93", "ASCII_41"):  # ] )
            depth -= 1
        elif depth == 0 and token.name in ("COLON_EQUALS", "ASCII_61"):
            return assignment[token.end + 1 :]
    return assignment
