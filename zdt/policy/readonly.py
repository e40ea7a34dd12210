"""What a model's read-only query may be: one SELECT (or EXPLAIN of one), reading no secret.

The tools that give agents database reads (``run_readonly_sql``, ``explain_query``) run model text on a
production server. A READ ONLY transaction stops plain writes, not a function with side effects, nor a
read of what the model should never see. So the query is parsed and refused, before the server sees it,
when it:

- is anything but a single SELECT or EXPLAIN of one (no SHOW, no utility statement);
- writes or locks anywhere in its tree: a data-modifying CTE, SELECT INTO, FOR UPDATE/SHARE (in a
  subquery too);
- names a relation holding secrets (:data:`SECRET_RELATIONS`: password hashes, user mappings'
  passwords, subscriptions' connection strings, sampled column values), or a secret column of another
  (:data:`SECRET_COLUMNS`: query texts, a foreign server's options), by name, ``*`` or whole row;
- calls a function that returns such secrets (:data:`SECRET_FUNCTIONS`), or reads a secret setting.

The functions it calls are then checked against the server's pg_proc (``FunctionCatalogue.for_queries``,
pg_catalog built-ins only) by the tool, which also drops superuser rights where the server allows.
"""

from __future__ import annotations

from pglast import ast
from pglast.visitors import Visitor

from zdt.analysis.fields import required
from zdt.analysis.source import parse_statements
from zdt.policy.functions import called_in
from zdt.policy.sql_policy import PolicyViolation

_HASHES = "role password hashes"
_MAPPINGS = "user mappings' options: the user names and passwords of foreign servers"
_STATISTICS = "sampled values of every column, whatever the reader's privileges"
SECRET_RELATIONS: dict[str, str] = {
    "pg_authid": _HASHES,
    "pg_shadow": _HASHES,
    "pg_user_mapping": _MAPPINGS,
    "pg_user_mappings": _MAPPINGS,
    "user_mapping_options": _MAPPINGS,
    "pg_subscription": "subscriptions' connection strings, passwords included",
    "pg_statistic": _STATISTICS,
    "pg_statistic_ext_data": _STATISTICS,
    "pg_largeobject": "large objects' contents",
    "pg_db_role_setting": "per-role and per-database settings",
    "pg_file_settings": "the configuration files' contents",
    "pg_hba_file_rules": "the server's authentication rules",
    "pg_ident_file_mappings": "the server's user name maps",
}
_QUERY_TEXT = "other sessions' statements, which carry literals (a password in ALTER ROLE, data)"
SECRET_COLUMNS: dict[str, dict[str, str]] = {
    "pg_stat_activity": {"query": _QUERY_TEXT},
    "pg_stat_statements": {"query": _QUERY_TEXT},
    "pg_foreign_server": {"srvoptions": "a foreign server's options, which may hold credentials"},
}
SECRET_FUNCTIONS: dict[str, str] = {
    "pg_stat_get_activity": _QUERY_TEXT,
    "pg_stat_get_backend_activity": _QUERY_TEXT,
    "pg_stat_statements": _QUERY_TEXT,
    "pg_show_all_file_settings": "the configuration files' contents",
    "pg_hba_file_rules": "the server's authentication rules",
    "pg_ident_file_mappings": "the server's user name maps",
}
SECRET_SETTINGS = frozenset(
    {
        "primary_conninfo",
        "ssl_passphrase_command",
        "archive_command",
        "restore_command",
        "archive_cleanup_command",
        "recovery_end_command",
    }
)
_WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def check_readonly_query(sql: str) -> ast.Node:
    """The one query of ``sql`` if a model may run it read-only; PolicyViolation naming why otherwise."""
    statements = parse_statements(sql)
    if len(statements) != 1:
        raise PolicyViolation(sql, f"expected exactly one statement, got {len(statements)}")
    node = statements[0].node
    query = node.query if isinstance(node, ast.ExplainStmt) else node
    if not isinstance(query, ast.SelectStmt):
        raise PolicyViolation(
            sql, f"only a SELECT (or EXPLAIN of one) is allowed here, not {type(query).__name__}"
        )
    found = _Reads()
    found(node)
    if found.writes:
        raise PolicyViolation(sql, f"a read-only query cannot {found.writes[0]}")
    for relation in found.relations:
        if relation in SECRET_RELATIONS:
            raise PolicyViolation(sql, f"{relation} holds {SECRET_RELATIONS[relation]}: not for a model")
        for column, why in SECRET_COLUMNS.get(relation, {}).items():
            if column in found.columns or found.star or found.whole_rows & found.aliases.get(relation, set()):
                raise PolicyViolation(sql, f"{relation}.{column} holds {why}: not for a model")
    for name in called_in(node):
        short = name.rsplit(".", 1)[-1].lower()
        if short in SECRET_FUNCTIONS:
            raise PolicyViolation(sql, f"{name} returns {SECRET_FUNCTIONS[short]}: not for a model")
    secret = sorted(found.strings & SECRET_SETTINGS)
    if secret:
        raise PolicyViolation(sql, f"the setting {secret[0]} may hold credentials: not for a model")
    return node


class _Reads(Visitor):
    """What a query reads and does: relations (and their aliases), columns, stars, writes, strings."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: list[str] = []
        self.aliases: dict[str, set[str]] = {}
        self.columns: set[str] = set()
        self.whole_rows: set[str] = set()
        self.star = False
        self.writes: list[str] = []
        self.strings: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        name = required(node.relname, "RangeVar.relname").lower()
        self.relations.append(name)
        alias = node.alias.aliasname if node.alias is not None and node.alias.aliasname else name
        self.aliases.setdefault(name, set()).update({alias, name})

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        fields = node.fields or ()
        if any(isinstance(part, ast.A_Star) for part in fields):
            self.star = True
        strings = [part.sval for part in fields if isinstance(part, ast.String) and part.sval]
        if strings:
            self.columns.add(strings[-1].lower())
        if len(strings) == 1 and len(fields) == 1:  # "a" alone may be the whole row of relation a
            self.whole_rows.add(strings[0])

    def visit_SelectStmt(self, ancestors: object, node: ast.SelectStmt) -> None:
        if node.intoClause is not None:
            self.writes.append("SELECT INTO (it creates a table)")
        if node.lockingClause:
            self.writes.append("lock rows (FOR UPDATE/SHARE)")

    def visit_A_Const(self, ancestors: object, node: ast.A_Const) -> None:
        if isinstance(node.val, ast.String) and node.val.sval:
            self.strings.add(node.val.sval.strip().lower())

    def visit_VariableShowStmt(self, ancestors: object, node: ast.VariableShowStmt) -> None:
        self.strings.add((node.name or "").lower())

    def visit(self, ancestors: object, node: ast.Node) -> None:
        if isinstance(node, _WRITES):
            self.writes.append(f"run {type(node).__name__.removesuffix('Stmt').upper()} (it writes)")
