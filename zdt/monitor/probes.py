"""Probe queries: the cheapest statement that still has to get a lock on a touched table.

``SELECT 1 FROM t LIMIT 1`` needs ACCESS SHARE on ``t``, so it queues behind exactly the locks that would
queue the application's own reads, while costing next to nothing when nothing is in the way. Probes come
from agents too, so each one must pass the SQL policy in read-only mode before the sampler runs it (the
sampler's connection is also read-only on the server side).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from psycopg import sql

from zdt.policy import check_script

ProbeQuery = str | sql.Composable

SERVER_PROBE = {"server": "SELECT 1"}
"""Used when no probe is given: the round trip alone, so a baseline exists even without tables."""


def split_qualified_name(name: str) -> list[str]:
    """'public.users' -> ['public', 'users']; double-quoted parts keep their dots and case."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(name):
        char = name[index]
        if char == '"':
            if quoted and name[index + 1 : index + 2] == '"':
                current.append('"')
                index += 1
            else:
                quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char if quoted else char.lower())
        index += 1
    parts.append("".join(current))
    if quoted or any(not part for part in parts) or len(parts) > 2:
        raise ValueError(f"not a table name: {name!r}")
    return parts


def table_probe(table: str) -> sql.Composed:
    """The probe for one table, the name quoted by psycopg (``schema.table`` or ``table``)."""
    return sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(*split_qualified_name(table)))


def table_probes(tables: Iterable[str]) -> dict[str, sql.Composed]:
    """One probe per table, named after the table: what the sampler's ``probe_queries`` expects."""
    return {table: table_probe(table) for table in tables}


def probe_text(query: ProbeQuery) -> str:
    """The SQL text of a probe; a psycopg Composable needs no connection to render identifiers."""
    return query if isinstance(query, str) else query.as_string(None)


def checked_probes(probes: Mapping[str, ProbeQuery] | None) -> dict[str, str]:
    """Render and policy-check every probe (read-only, one statement each); raise PolicyViolation."""
    rendered = {name: probe_text(query) for name, query in (probes or SERVER_PROBE).items()}
    for text in rendered.values():
        check_script(text, read_only=True, single_statement=True)
    return rendered
