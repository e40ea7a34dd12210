"""Schema-qualified relation names, spelled the way ``format('%I.%I', schema, name)`` spells them."""

from __future__ import annotations

from pglast import ast
from pglast.stream import maybe_double_quote_name

from zdt.analysis.fields import required

DEFAULT_SCHEMA = "public"


def qualified(schema: str | None, name: str) -> str:
    return f"{maybe_double_quote_name(schema or DEFAULT_SCHEMA)}.{maybe_double_quote_name(name)}"


def of_range_var(relation: ast.RangeVar) -> str:
    return qualified(relation.schemaname, required(relation.relname, "RangeVar.relname"))


def of_name_list(names: tuple[ast.String, ...] | list[ast.String]) -> str:
    """('s', 't') or ('t',) as found in DropStmt.objects -> 's.t' / 'public.t'."""
    parts = [required(part.sval, "String.sval") for part in names]
    if len(parts) == 1:
        return qualified(None, parts[0])
    return qualified(parts[-2], parts[-1])


def plain(name: str) -> str:
    """Column or constraint name as the catalog stores it (no quoting)."""
    return name
