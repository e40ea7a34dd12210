"""Is a default expression volatile? A volatile ADD COLUMN default makes PostgreSQL rewrite the table.

Known built-ins are listed here; with a schema snapshot, pg_proc.provolatile decides. A function we cannot
look up is treated as volatile, which is what CREATE FUNCTION assumes when nothing else is said.
"""

from __future__ import annotations

from pglast import ast
from pglast.visitors import Visitor

from zdt.analysis.fields import required

_VOLATILE = frozenset(
    {
        "random",
        "random_normal",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
    }
)
_NON_VOLATILE = frozenset(
    {
        "now",
        "statement_timestamp",
        "transaction_timestamp",
        "current_setting",
        "lower",
        "upper",
        "coalesce",
        "concat",
        "length",
        "md5",
        "to_char",
        "to_jsonb",
        "jsonb_build_object",
        "json_build_object",
        "array_length",
        "abs",
        "round",
        "make_interval",
        "date_trunc",
    }
)


class _FunctionNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        self.names.append(required(node.funcname, "FuncCall.funcname")[-1].sval)


def called_functions(expression: ast.Node) -> list[str]:
    collector = _FunctionNames()
    collector(expression)
    return collector.names


def is_volatile(expression: ast.Node, function_volatility: dict[str, str] | None = None) -> bool:
    """True when evaluating ``expression`` once per row could give different values."""
    for name in called_functions(expression):
        if function_volatility and name in function_volatility:
            if function_volatility[name] == "v":
                return True
            continue
        if name in _VOLATILE or name not in _NON_VOLATILE:
            return True
    return False
