"""Relation names: schema-qualified the way ``format('%I.%I', schema, name)`` spells them, and names
zdt derives kept within what PostgreSQL stores whole."""

from __future__ import annotations

import hashlib

from pglast import ast
from pglast.stream import maybe_double_quote_name

from zdt.analysis.fields import required

DEFAULT_SCHEMA = "public"
NAME_MAX_BYTES = 63  # NAMEDATALEN - 1


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


def stored_name(name: str) -> str:
    """``name`` cut to what PostgreSQL keeps, so that verification queries look up the real name."""
    encoded = name.encode()
    if len(encoded) <= NAME_MAX_BYTES:
        return name
    return encoded[:NAME_MAX_BYTES].decode(errors="ignore")


def derived_name(name: str) -> str:
    """``name`` if PostgreSQL keeps it whole, else a prefix plus a hash of the whole name.

    PostgreSQL silently cuts names at 63 bytes: a verification query would then look for a name that does
    not exist, and two long names cut to the same prefix would collide. The hash keeps them apart.
    """
    encoded = name.encode()
    if len(encoded) <= NAME_MAX_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:8]
    head = encoded[: NAME_MAX_BYTES - len(digest) - 1].decode(errors="ignore")
    return f"{head}_{digest}"
