"""Entry point of the analyser: parse a script, walk it statement by statement, apply every rule."""

from __future__ import annotations

from zdt.analysis.model import StatementReport
from zdt.analysis.source import parse_statements
from zdt.schema.snapshot import SchemaSnapshot

DEFAULT_PG_VERSION = 18


def analyse_sql(
    text: str,
    *,
    source: str = "<input>",
    pg_version: int | None = None,
    snapshot: SchemaSnapshot | None = None,
) -> list[StatementReport]:
    """Analyse every statement of ``text``; raises SqlSyntaxError on unparseable SQL."""
    statements = parse_statements(text, source)
    return [StatementReport(index=s.index, line=s.line, sql=s.sql, kind=s.kind) for s in statements]
