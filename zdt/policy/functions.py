"""Which functions a statement may call: the known safe ones; anything else is refused, named, placed.

A function call hides wherever an expression goes (CHECK, DEFAULT, generated columns, index expressions,
USING casts, UPDATE/DELETE WHERE, INSERT ... SELECT, view bodies, trigger WHEN, function and DO bodies)
and runs with the rights of whoever evaluates it: the executor during the plan, every application write
afterwards. A READ ONLY transaction does not stop ``dblink_exec`` (another connection), ``lo_export`` (a
file on the database host) or ``pg_create_physical_replication_slot``. So every call is resolved, in this
order:

1. the escape hatches (:data:`ESCAPE_HATCHES`, :data:`ESCAPE_HATCH_PREFIXES`): refused whatever their
   schema or volatility; those that run a query given as a string (``query_to_xml``, ``ts_stat``,
   ``ts_rewrite``) are refused outright, and the refusal names what the string would have reached;
2. built-ins of ``pg_catalog`` declared IMMUTABLE or STABLE: allowed. The server's ``pg_proc`` decides
   when zdt has a schema snapshot; without one, ``builtin_functions.txt`` (PostgreSQL 15 and 18);
3. a few volatile built-ins that are safe to evaluate: in a plan what real migrations put in defaults
   and backfills (:data:`SAFE_VOLATILE_IN_PLANS`: ``now()``-like clocks, ``gen_random_uuid()``,
   ``nextval()``); in a read-only query only the harmless ones (:data:`SAFE_VOLATILE_IN_QUERIES`);
4. SQL and PL/pgSQL functions the plan creates or the schema holds (their definition read from the
   snapshot): allowed when zdt can read their body, it calls only functions allowed here and builds no
   SQL at run time, and, when called from an expression, it does not write (a trigger function, a
   CALLed procedure and a DO block may);
5. anything else (another schema's function, an extension's, a C function, one zdt cannot see): refused.

A function the plan only defines runs nothing yet: its body must be in SQL or PL/pgSQL and call no
escape hatch; the rest is judged where the plan calls it or makes it a trigger's (then in full), and
where a later plan does (the schema's functions are read through the same way).

Why refuse by default rather than list the bad ones: a deny-list is always one function short (the issue
that brought this module in found three ways around one). The allow-list errs on the side of a clear
refusal that names the function, which a person can read and a model can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pglast import ast, parser
from pglast.stream import RawStream
from pglast.visitors import Visitor

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.plpgsql import PlpgsqlError, read_do_block, read_function
from zdt.schema.snapshot import SchemaSnapshot

_QUERY_STRING = "it runs a query given as a string, which no check sees"
_DUMPS = "it dumps whole relations named at run time (the catalogues too) as XML"
_SERVER = "it acts on the whole server, not on the migration's objects"

#: Refused whatever their schema or volatility: what an adversarial model reaches for.
ESCAPE_HATCHES: dict[str, str] = {
    "loread": "it reads large objects",
    "lowrite": "it writes large objects",
    "pg_stat_file": "it reads file metadata on the database host",
    "pg_terminate_backend": "it kills other sessions",
    "pg_cancel_backend": "it cancels other sessions' queries",
    "pg_signal_backend": "it signals other sessions",
    "pg_reload_conf": _SERVER,
    "pg_rotate_logfile": _SERVER,
    "pg_promote": _SERVER,
    "pg_switch_wal": _SERVER,
    "pg_start_backup": _SERVER,
    "pg_stop_backup": _SERVER,
    "pg_import_system_collations": _SERVER,
    "pg_log_backend_memory_contexts": _SERVER,
    "set_config": "it changes session settings (role, search_path, timeouts) for what runs after it",
    "query_to_xml": _QUERY_STRING,
    "query_to_xmlschema": _QUERY_STRING,
    "query_to_xml_and_xmlschema": _QUERY_STRING,
    "cursor_to_xml": _QUERY_STRING,
    "cursor_to_xmlschema": _QUERY_STRING,
    "ts_stat": _QUERY_STRING,
    "ts_rewrite": _QUERY_STRING,
    "table_to_xml": _DUMPS,
    "table_to_xmlschema": _DUMPS,
    "table_to_xml_and_xmlschema": _DUMPS,
    "schema_to_xml": _DUMPS,
    "schema_to_xmlschema": _DUMPS,
    "schema_to_xml_and_xmlschema": _DUMPS,
    "database_to_xml": _DUMPS,
    "database_to_xmlschema": _DUMPS,
    "database_to_xml_and_xmlschema": _DUMPS,
}
ESCAPE_HATCH_PREFIXES: tuple[tuple[str, str], ...] = (
    ("dblink", "it runs SQL over another connection, outside the plan's transaction and checks"),
    ("lo_", "it reads or writes large objects (lo_import and lo_export: files on the database host)"),
    ("pg_read_", "it reads files on the database host"),
    ("pg_ls_", "it lists directories on the database host"),
    ("pg_file_", "it writes files on the database host"),
    ("pg_stat_reset", "it resets the server's statistics"),
    ("pg_create_", "it creates a replication slot or a restore point"),
    ("pg_drop_replication_slot", "it drops a replication slot"),
    ("pg_copy_", "it copies a replication slot"),
    ("pg_replication_", "it drives replication origins"),
    ("pg_logical_", "it reads or writes the logical replication stream"),
    ("pg_backup_", _SERVER),
    ("pg_wal_replay_", _SERVER),
)
_RUNS_QUERY_STRING = frozenset(name for name, reason in ESCAPE_HATCHES.items() if reason == _QUERY_STRING)

#: Volatile, yet safe to evaluate in a migration's defaults and backfills (the statement's own effect).
SAFE_VOLATILE_IN_PLANS = frozenset(
    {
        "clock_timestamp",
        "timeofday",
        "random",
        "random_normal",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "nextval",
        "currval",
        "lastval",
        "uuid_generate_v1",  # uuid-ossp, in whatever schema it was installed (unless a user function)
        "uuid_generate_v1mc",
        "uuid_generate_v4",
    }
)
#: Volatile, yet harmless in a model's read-only query (pg_sleep: bounded by the statement_timeout; the
#: sizes: volatile only because files grow).
SAFE_VOLATILE_IN_QUERIES = frozenset(
    {
        "clock_timestamp",
        "timeofday",
        "random",
        "random_normal",
        "pg_sleep",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_database_size",
    }
)
#: Functions of well-kept contrib extensions that real migrations call in defaults, backfills and trigger
#: functions, each of which only computes its value: allowed in plans in whatever schema the extension
#: was installed (a function of the same name that the plan creates or the schema holds is judged by its
#: body first). pgcrypto's random generators are volatile only because they draw random bytes.
KNOWN_EXTENSION_FUNCTIONS = frozenset(
    {
        "uuid_generate_v1",  # uuid-ossp
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "gen_random_bytes",  # pgcrypto
        "gen_salt",
        "crypt",
        "digest",
        "hmac",
        "text2ltree",  # ltree
        "ltree2text",
        "nlevel",
        "subpath",
        "subltree",
        "lca",
        "unaccent",  # unaccent
        "similarity",  # pg_trgm
        "word_similarity",
        "levenshtein",  # fuzzystrmatch
        "soundex",
        "metaphone",
        "dmetaphone",
    }
)
_EXTENSION_NAMES = KNOWN_EXTENSION_FUNCTIONS
#: Trigger functions of pg_catalog (volatile, so not in the offline list of built-ins).
_BUILTIN_TRIGGERS = frozenset(
    {"suppress_redundant_updates_trigger", "tsvector_update_trigger", "tsvector_update_trigger_column"}
)
_BODY_LANGUAGES = ("sql", "plpgsql")
_WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


class UnsafeFunction(ValueError):
    """A call the catalogue does not know safe: the function, where it is, and why."""

    def __init__(self, function: str, where: str, reason: str) -> None:
        super().__init__(f"calls {function}{where}: {reason}")
        self.function = function
        self.reason = reason


@dataclass(frozen=True)
class UserFunction:
    """A function zdt can read: created by the plan, or in the schema (pg_get_functiondef)."""

    name: str  # format('%I.%I')
    node: ast.CreateFunctionStmt
    origin: str  # "the plan" or "the schema"


@dataclass(frozen=True)
class FunctionCatalogue:
    """What a statement may call: pg_catalog's volatility, and the functions zdt can read the body of."""

    builtins: Mapping[str, str]  # pg_catalog proname -> most volatile of its overloads: i, s or v
    source: str
    user: Mapping[str, tuple[UserFunction, ...]] = field(default_factory=dict)
    read_only: bool = False  # a model's query: no user functions, only the harmless volatile built-ins

    @classmethod
    def for_plan(
        cls, snapshot: SchemaSnapshot | None, created: Iterable[ast.CreateFunctionStmt] = ()
    ) -> FunctionCatalogue:
        """The gate's: the server's pg_catalog (or zdt's list), the schema's and the plan's functions."""
        if snapshot is not None and snapshot.builtin_volatility:
            builtins: Mapping[str, str] = snapshot.builtin_volatility
            source = "pg_proc"
        else:
            builtins = offline_builtins()
            source = "zdt's list of pg_catalog built-ins (no server was read)"
        user: dict[str, list[UserFunction]] = {}
        for info in snapshot.functions.values() if snapshot is not None else ():
            node = _parse_function(info.definition)
            if node is not None:
                user.setdefault(info.name, []).append(UserFunction(info.name, node, "the schema"))
        for node in created:
            name = names.of_name_list(_name_parts(node.funcname))
            user.setdefault(name, []).append(UserFunction(name, node, "the plan"))
        return cls(builtins, source, {key: tuple(value) for key, value in user.items()})

    @classmethod
    def for_queries(cls, builtins: Mapping[str, str], source: str = "pg_proc") -> FunctionCatalogue:
        """A read-only tool's catalogue: pg_catalog built-ins only."""
        return cls(builtins, source, {}, read_only=True)

    def check(self, node: ast.Node, sql: str) -> None:
        """Raise UnsafeFunction for the first call in ``node`` (parsed from ``sql``) not known safe."""
        _Checker(self, sql).statement(node)


@cache
def offline_builtins() -> Mapping[str, str]:
    text = resources.files("zdt.policy").joinpath("builtin_functions.txt").read_text(encoding="utf-8")
    return {line.strip(): "s" for line in text.splitlines() if line.strip() and not line.startswith("#")}


def escape_hatch(name: str) -> str | None:
    """Why ``name`` is refused whatever it is declared; None when it is not an escape hatch."""
    lowered = name.lower()
    if lowered in ESCAPE_HATCHES:
        return ESCAPE_HATCHES[lowered]
    return next((reason for prefix, reason in ESCAPE_HATCH_PREFIXES if lowered.startswith(prefix)), None)


def called_in(node: ast.Node) -> list[str]:
    """Every function name called in ``node``, in query strings too (for messages and the secrets check)."""
    found: list[str] = []
    for call in _calls(node):
        found.append(_spelled(call.funcname))
    return found


def _reached(call: ast.FuncCall) -> str:
    """What the query strings of a function that runs one would reach (for the refusal's message)."""
    reached = _reachable(call)
    return f"; the query string reaches {', '.join(dict.fromkeys(reached))}" if reached else ""


def _reachable(call: ast.FuncCall) -> list[str]:
    """Every function a query string given to ``call`` calls, in query strings nested in it too."""
    if _spelled(call.funcname).rsplit(".", 1)[-1].lower() not in _RUNS_QUERY_STRING:
        return []
    reached: list[str] = []
    for text in _string_arguments(call):
        try:
            statements = parser.parse_sql(text)
        except parser.ParseError:
            continue
        for raw in statements:
            for inner in _calls(required(raw.stmt, "RawStmt.stmt")):
                reached += [_spelled(inner.funcname), *_reachable(inner)]
    return reached


def refused_call(node: ast.Node) -> str | None:
    """Why the first escape hatch ``node`` calls is refused ("calls X: why"); None when it calls none."""
    for call in _calls(node):
        spelled = _spelled(call.funcname)
        hatch = escape_hatch(spelled.rsplit(".", 1)[-1])
        if hatch is not None:
            return f"calls {spelled}: {hatch}{_reached(call)}"
    return None


def _name_parts(funcname: tuple[ast.Node, ...] | None) -> list[ast.String]:
    return [part for part in required(funcname, "funcname") if isinstance(part, ast.String)]


def _spelled(funcname: tuple[ast.Node, ...] | None) -> str:
    return ".".join(required(part.sval, "String.sval") for part in _name_parts(funcname))


def _calls(node: ast.Node) -> Iterator[ast.FuncCall]:
    found: list[ast.FuncCall] = []

    class _Calls(Visitor):
        def visit_FuncCall(self, ancestors: object, call: ast.FuncCall) -> None:
            found.append(call)

    _Calls()(node)
    return iter(found)


def _parse_function(definition: str) -> ast.CreateFunctionStmt | None:
    try:
        statements = parser.parse_sql(definition)
    except parser.ParseError:
        return None
    node = statements[0].stmt if len(statements) == 1 else None
    return node if isinstance(node, ast.CreateFunctionStmt) else None


def _position(sql: str, location: int | None) -> str:
    if location is None or location < 0 or location > len(sql):
        return ""
    before = sql[:location]
    line = before.count("\n") + 1
    column = location - (before.rfind("\n") + 1) + 1
    return f" at line {line}, column {column}"


def _string_arguments(call: ast.FuncCall) -> list[str]:
    return [
        required(argument.val.sval, "String.sval")
        for argument in call.args or ()
        if isinstance(argument, ast.A_Const) and isinstance(argument.val, ast.String)
    ]


def _language_and_body(node: ast.CreateFunctionStmt) -> tuple[str, str | None]:
    language, body = "sql", None
    for option in node.options or ():
        if not isinstance(option, ast.DefElem):
            continue
        if option.defname == "language" and isinstance(option.arg, ast.String):
            language = required(option.arg.sval, "LANGUAGE").lower()
        elif option.defname == "as":
            parts = option.arg if isinstance(option.arg, (list, tuple)) else (option.arg,)
            strings = [part.sval for part in parts if isinstance(part, ast.String)]
            body = strings[0] if len(strings) == 1 else None  # two strings: a C function's file, symbol
    return language, body


class _Checker:
    def __init__(self, catalogue: FunctionCatalogue, sql: str) -> None:
        self.catalogue = catalogue
        self.sql = sql
        self.checked: set[tuple[str, bool]] = set()  # (function, pure) already read, or being read

    def statement(self, node: ast.Node, where: str = "", *, pure: bool = True) -> None:
        """Every call in ``node``; a DO block's body, a trigger's function, a new function's definition.

        ``pure``: a function called here may not write (an expression of the plan, or of a function
        called from one). A DO block, a CALL and the body of a trigger function or of a procedure write
        on purpose: what they call may write too, and is still checked.
        """
        if isinstance(node, ast.DoStmt):
            self._do_block(node, where)
        called = node.funccall if isinstance(node, ast.CallStmt) else None
        if called is not None:
            self._call(called, where, pure=False)
        for call in _calls(node):
            if call is not called:
                self._call(call, where, pure=pure)
        if isinstance(node, ast.CreateFunctionStmt):
            self._definition(node, where)
        if isinstance(node, ast.CreateTrigStmt):
            self._trigger_function(node, where)

    def _do_block(self, node: ast.DoStmt, where: str) -> None:
        try:
            body = read_do_block(node)
        except PlpgsqlError as error:
            raise UnsafeFunction("a DO block", where, f"zdt cannot read it ({error})") from None
        for item in body.embedded:
            self.statement(item.node, f"{where} (DO block line {item.line}: {item.sql})", pure=False)

    def _definition(self, node: ast.CreateFunctionStmt, where: str) -> None:
        """A function the plan defines but may not call: no escape hatch in its body, in a language zdt
        reads. What else it calls (an extension's function) and SQL it builds at run time are judged
        where the plan calls it or makes it a trigger's: defining it runs nothing."""
        name = names.of_name_list(_name_parts(node.funcname))
        for statement in self._statements_of(UserFunction(name, node, "the plan"), where, run_time=False):
            hatch = refused_call(statement)
            if hatch is not None:
                raise UnsafeFunction(f"{name} (the plan)", where, f"its body {hatch}")

    def _call(self, call: ast.FuncCall, where: str, *, pure: bool = True) -> None:
        parts = [required(part.sval, "String.sval") for part in _name_parts(call.funcname)]
        name, schema = parts[-1], (parts[-2] if len(parts) > 1 else None)
        spelled = ".".join(parts)
        place = where or _position(self.sql, call.location)
        hatch = escape_hatch(name)
        if hatch is not None:
            raise UnsafeFunction(spelled, place, hatch + _reached(call))
        user = self._user_function(schema, name)
        if user is not None:
            for overload in user:
                self._body(overload, pure=pure, where=place)
            return
        if schema not in (None, "pg_catalog") and name not in _EXTENSION_NAMES:
            raise UnsafeFunction(spelled, place, self._unknown(schema))
        self._builtin(spelled, name, place)

    def _builtin(self, spelled: str, name: str, place: str) -> None:
        volatile_ok = SAFE_VOLATILE_IN_QUERIES if self.catalogue.read_only else SAFE_VOLATILE_IN_PLANS
        if name in volatile_ok or (not self.catalogue.read_only and name in KNOWN_EXTENSION_FUNCTIONS):
            return
        volatility = self.catalogue.builtins.get(name)
        if volatility is None:
            raise UnsafeFunction(spelled, place, self._unknown(None))
        if volatility == "v":
            raise UnsafeFunction(
                spelled,
                place,
                "it is VOLATILE (evaluating it may change something besides its value), and not one of "
                f"the volatile built-ins zdt lets through ({', '.join(sorted(volatile_ok))})",
            )

    def _unknown(self, schema: str | None) -> str:
        if self.catalogue.read_only:
            return "a read-only query may call built-ins of pg_catalog only"
        if schema is not None:
            return (
                f"not a built-in of pg_catalog, and no function of schema {schema} that the plan creates "
                "or the schema holds"
            )
        if self.catalogue.source == "pg_proc":
            return (
                "not a built-in of pg_catalog (according to pg_proc), no function the plan creates or the "
                "schema holds, and no extension function zdt knows to only compute its value: compute the "
                "value with built-ins, or run this statement by hand outside the migration, reviewed"
            )
        return (
            f"not a built-in of pg_catalog (according to {self.catalogue.source}), and no function the "
            "plan creates or the schema holds (plan with --database-url so that zdt can read it)"
        )

    def _user_function(self, schema: str | None, name: str) -> tuple[UserFunction, ...] | None:
        if self.catalogue.read_only:
            return None
        if schema is None:
            return self.catalogue.user.get(names.qualified(None, name))
        if schema == "pg_catalog":
            return None
        return self.catalogue.user.get(names.qualified(schema, name))

    def _body(self, function: UserFunction, *, pure: bool, where: str) -> None:
        """A user function's body: readable, checked, and (``pure``: called from an expression) no writes."""
        key = (function.name, pure)
        if key in self.checked:
            return
        self.checked.add(key)
        called = f"{function.name} ({function.origin})"
        for statement in self._statements_of(function, where, run_time=True):
            if pure and _writes(statement):
                raise UnsafeFunction(
                    called, where, "it is called from an expression and its body writes data"
                )
            self.statement(statement, f"{where} (inside {function.name})", pure=pure)

    def _statements_of(self, function: UserFunction, where: str, *, run_time: bool) -> list[ast.Node]:
        """The statements of a function's body; refused when zdt cannot read it or (``run_time``) it
        runs SQL built at run time."""
        node = function.node
        called = f"{function.name} ({function.origin})"
        if node.sql_body is not None:  # BEGIN ATOMIC ... END, RETURN ...: parsed with the statement
            return list(_flattened(node.sql_body))
        language, body = _language_and_body(node)
        if language not in _BODY_LANGUAGES or body is None:
            raise UnsafeFunction(called, where, f"it is in LANGUAGE {language}: zdt reads SQL and PL/pgSQL")
        if language == "sql":
            try:
                return [required(raw.stmt, "RawStmt.stmt") for raw in parser.parse_sql(body)]
            except parser.ParseError as error:
                raise UnsafeFunction(called, where, f"zdt cannot read its body ({error})") from None
        try:
            read = read_function(_deparsed(node))
        except PlpgsqlError as error:
            raise UnsafeFunction(called, where, f"zdt cannot read its body ({error})") from None
        if run_time and read.run_time:
            raise UnsafeFunction(
                called, where, f"its body runs SQL built at run time (EXECUTE {read.run_time[0].expression})"
            )
        return [item.node for item in read.embedded]

    def _trigger_function(self, node: ast.CreateTrigStmt, where: str) -> None:
        parts = [required(part.sval, "String.sval") for part in _name_parts(node.funcname)]
        name, schema = parts[-1], (parts[-2] if len(parts) > 1 else None)
        user = self._user_function(schema, name)
        if user is not None:
            for overload in user:
                self._body(overload, pure=False, where=where)
            return
        hatch = escape_hatch(name)
        if hatch is not None:
            raise UnsafeFunction(".".join(parts), where, hatch)
        builtin = name in _BUILTIN_TRIGGERS or name in self.catalogue.builtins
        if schema not in (None, "pg_catalog") or not builtin:
            raise UnsafeFunction(
                ".".join(parts),
                where,
                "the trigger's function is neither a built-in of pg_catalog nor a function the plan "
                "creates or the schema holds (plan with --database-url so that zdt can read it)",
            )


def _deparsed(node: ast.CreateFunctionStmt) -> str:
    """The whole CREATE FUNCTION as text, for PostgreSQL's PL/pgSQL parser (which wants the signature)."""
    try:
        return str(RawStream()(node))
    except Exception as error:  # pglast's printer may not know every option: not readable, then
        raise PlpgsqlError(f"zdt cannot print the function back ({type(error).__name__}: {error})") from None


def _flattened(value: object) -> Iterator[ast.Node]:
    """BEGIN ATOMIC's statements (nested tuples in pglast), or RETURN's one."""
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _flattened(item)
    elif isinstance(value, ast.Node):
        yield value


def _writes(node: ast.Node) -> bool:
    if isinstance(node, _WRITES):
        return True
    found: list[ast.Node] = []

    class _Finder(Visitor):
        def visit(self, ancestors: object, inner: ast.Node) -> None:
            if isinstance(inner, _WRITES) or (
                isinstance(inner, ast.SelectStmt) and (inner.intoClause or inner.lockingClause)
            ):
                found.append(inner)

    _Finder()(node)
    return bool(found) or not isinstance(node, (ast.SelectStmt, ast.ReturnStmt))
