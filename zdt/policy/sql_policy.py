"""The SQL policy: every statement from a plan or a model is parsed (pglast) and checked here first.

Never allowed, in any phase: DROP/CREATE/ALTER DATABASE, role and privilege-system changes (CREATE/ALTER/
DROP ROLE, GRANT role TO role, GRANT/REVOKE on anything but tables, sequences, schemas and functions),
ALTER SYSTEM, COPY ... PROGRAM, COPY to or from a file on the server, and the escape-hatch functions
(``zdt.policy.functions.escape_hatch``: dblink, large objects, files, replication, signalling backends,
set_config, query strings run as SQL). Destructive statements (DROP TABLE, DROP COLUMN, TRUNCATE) only
in the contract phase. ``read_only`` mode (planner and compatibility tools) allows queries only. A DO
block is judged by what it runs: every statement and expression in its PL/pgSQL body is checked like a
statement of its own, in the same phase; a body zdt cannot read, or one that EXECUTEs SQL built at run
time, is refused.
Given a :class:`~zdt.policy.functions.FunctionCatalogue` (the plan gate, the read-only tools), every
function call is also checked against it: known safe, or refused naming the function and its place.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from zdt.analysis.plpgsql import PlpgsqlError, read_do_block
from zdt.analysis.source import parse_statements
from zdt.policy.functions import FunctionCatalogue, UnsafeFunction, refused_call

_FORBIDDEN_NODES: dict[type[ast.Node], str] = {
    ast.CreatedbStmt: "creating a database",
    ast.DropdbStmt: "dropping a database",
    ast.AlterDatabaseStmt: "altering a database",
    ast.AlterDatabaseSetStmt: "altering a database",
    ast.CreateRoleStmt: "creating a role",
    ast.AlterRoleStmt: "altering a role",
    ast.AlterRoleSetStmt: "altering a role",
    ast.DropRoleStmt: "dropping a role",
    ast.GrantRoleStmt: "granting a role",
    ast.ReassignOwnedStmt: "reassigning ownership",
    ast.DropOwnedStmt: "dropping owned objects",
    ast.AlterSystemStmt: "ALTER SYSTEM",
    ast.LoadStmt: "loading a shared library",
    ast.CreateTableSpaceStmt: "creating a tablespace",
    ast.DropTableSpaceStmt: "dropping a tablespace",
}
# Privileges on objects of the database's schema; role membership (GrantRoleStmt) is never allowed.
_GRANTABLE = {
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_SEQUENCE,
    ObjectType.OBJECT_SCHEMA,
    ObjectType.OBJECT_FUNCTION,
    ObjectType.OBJECT_PROCEDURE,
    ObjectType.OBJECT_ROUTINE,
}
_READ_ONLY_NODES = (ast.SelectStmt, ast.ExplainStmt, ast.VariableShowStmt)
_CONTRACT_ONLY_DROPS = {ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SCHEMA}


class PolicyViolation(ValueError):
    """A statement the policy refuses; says which statement and why."""

    def __init__(self, statement: str, reason: str) -> None:
        super().__init__(f"refused by policy: {reason}: {statement}")
        self.statement = statement
        self.reason = reason


def check_statement(
    node: ast.Node,
    sql: str,
    *,
    phase: str | None = None,
    read_only: bool = False,
    functions: FunctionCatalogue | None = None,
) -> None:
    """Raise PolicyViolation if ``node`` may not run in ``phase`` (or in read-only mode), or calls a
    function ``functions`` does not know safe (``node``'s locations taken as offsets into ``sql``)."""
    reason = _FORBIDDEN_NODES.get(type(node))
    if reason:
        raise PolicyViolation(sql, f"{reason} is never allowed")
    if isinstance(node, ast.CopyStmt) and node.is_program:
        raise PolicyViolation(sql, "COPY ... PROGRAM runs a shell command on the server")
    if isinstance(node, ast.CopyStmt) and node.filename:
        raise PolicyViolation(sql, f"COPY ... {node.filename!r} reads or writes a file on the database host")
    if isinstance(node, ast.GrantStmt) and node.objtype not in _GRANTABLE:
        raise PolicyViolation(
            sql, "only GRANT/REVOKE of privileges on tables, sequences, schemas and functions"
        )
    hatch = refused_call(node) if functions is None else None  # a catalogue refuses them, saying where
    if hatch is not None:  # whoever asks
        raise PolicyViolation(sql, hatch)
    if isinstance(node, ast.DoStmt):
        _check_do_block(node, sql, phase=phase, read_only=read_only)
    if read_only and not isinstance(node, _READ_ONLY_NODES):
        raise PolicyViolation(sql, "only queries are allowed here (read-only)")
    if read_only and isinstance(node, ast.SelectStmt) and (node.intoClause or node.lockingClause):
        raise PolicyViolation(sql, "SELECT INTO / FOR UPDATE writes or locks rows (read-only)")
    if phase is not None and phase != "contract" and _is_destructive(node):
        raise PolicyViolation(sql, f"destructive statements belong to the contract phase, not {phase}")
    if functions is not None:
        try:
            functions.check(node, sql)
        except UnsafeFunction as error:
            raise PolicyViolation(sql, str(error)) from None


def _check_do_block(node: ast.DoStmt, sql: str, *, phase: str | None, read_only: bool) -> None:
    try:
        body = read_do_block(node)
    except PlpgsqlError as error:
        raise PolicyViolation(sql, f"a DO block zdt cannot read ({error})") from None
    if body.run_time:
        raise PolicyViolation(
            sql, f"the DO block runs SQL built at run time (EXECUTE {body.run_time[0].expression}), unchecked"
        )
    for item in body.embedded:
        try:
            check_statement(item.node, item.sql, phase=phase, read_only=read_only)
        except PolicyViolation as inner:
            raise PolicyViolation(sql, f"the DO block runs {item.sql}: {inner.reason}") from None


def _is_destructive(node: ast.Node) -> bool:
    if isinstance(node, ast.DropStmt):
        return node.removeType in _CONTRACT_ONLY_DROPS
    if isinstance(node, ast.TruncateStmt):
        return True
    if isinstance(node, ast.AlterTableStmt):
        return any(cmd.subtype == AlterTableType.AT_DropColumn for cmd in node.cmds or ())
    return False


def check_script(
    sql: str,
    *,
    phase: str | None = None,
    read_only: bool = False,
    single_statement: bool = False,
    functions: FunctionCatalogue | None = None,
) -> None:
    """Parse ``sql`` and check every statement; with single_statement, refuse smuggled extras."""
    statements = parse_statements(sql)
    if single_statement and len(statements) != 1:
        raise PolicyViolation(sql, f"expected exactly one statement, got {len(statements)}")
    for statement in statements:
        # parsed again on its own, so that a refused call's position is the statement's own line and column
        node = parse_statements(statement.sql)[0].node if functions is not None else statement.node
        check_statement(node, statement.sql, phase=phase, read_only=read_only, functions=functions)
