"""One corpus from every source given: files, code, pg_stat_statements, a Prisma schema, in that order.

A query found twice with the same SQL and the same origin is kept once (a literal reused on one line);
the same SQL from two origins is kept twice, because each origin is a place a break must be reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zdt.collect.prisma_queries import prisma_queries
from zdt.collect.prisma_schema import read_prisma_schema
from zdt.collect.source import scan_source
from zdt.collect.sql_files import sql_file_queries
from zdt.collect.stats import collect_stats
from zdt.compat.corpus import CorpusQuery, QueryCorpus


def _unique(queries: list[CorpusQuery]) -> list[CorpusQuery]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for query in queries:
        key = (query.sql, query.origin.label)
        if key not in seen:
            seen.add(key)
            kept.append(query)
    return kept


def collect_corpus(
    *,
    files: Sequence[Path] = (),
    sources: Sequence[Path] = (),
    stats_url: str | None = None,
    prisma: Path | None = None,
) -> QueryCorpus:
    """Collect from each source given; raises SqlSyntaxError, StatsUnavailable, PrismaSchemaError, OSError."""
    queries: list[CorpusQuery] = []
    notes: list[str] = []
    for path in files:
        queries.extend(sql_file_queries(path))
    for root in sources:
        scan = scan_source(root)
        queries.extend(scan.queries)
        notes.append(f"{root.as_posix()}: {len(scan.queries)} queries in {scan.files} source files")
        notes.extend(scan.problems)
    if stats_url is not None:
        stats = collect_stats(stats_url)
        queries.extend(stats.queries)
        notes.extend(stats.notes())
    if prisma is not None:
        queries.extend(prisma_queries(read_prisma_schema(prisma)))
    return QueryCorpus(queries=_unique(queries), notes=notes)
