"""Dialect tags in file names, for folders that keep every database's version side by side.

ory/kratos (gobuffalo/pop, ory/x popx) names them ``<version>_<name>.<dialect>.up.sql``; zdt targets
PostgreSQL, so only files tagged for PostgreSQL and untagged files (meant for every database) count.
The spellings are pop's ``CanonicalDialect`` ones.
"""

from __future__ import annotations

_CANONICAL = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "cockroach": "cockroach",
    "cockroachdb": "cockroach",
    "crdb": "cockroach",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite3",
    "sqlite3": "sqlite3",
    "mssql": "sqlserver",
    "sqlserver": "sqlserver",
    "oracle": "oracle",
    "clickhouse": "clickhouse",
}

POSTGRES = "postgres"


def canonical_dialect(tag: str) -> str | None:
    """The canonical name of a dialect tag (``pg`` → ``postgres``), or ``None`` when it is no dialect."""
    return _CANONICAL.get(tag.lower())


def dialect_of(stem: str) -> str | None:
    """The dialect a name is tagged for: ``x.mysql`` → ``mysql``, ``x`` or ``1.7.0_schema`` → ``None``."""
    head, dot, tag = stem.rpartition(".")
    return canonical_dialect(tag) if dot and head else None


def for_postgres(stem: str) -> bool:
    """Whether a file (named without its ``.up.sql`` / ``.sql``) is meant to run on PostgreSQL."""
    return dialect_of(stem) in (None, POSTGRES)
