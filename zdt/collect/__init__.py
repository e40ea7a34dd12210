"""Where the application's queries come from: ``zdt queries collect`` builds the corpus from each source.

Public API::

    collect_corpus(files=, sources=, stats_url=, prisma=) -> QueryCorpus   # collect.py
    sql_file_queries(path)          # a .sql file, as --queries reads it
    scan_source(dir) -> SourceScan  # string literals in .py (ast), .ts/.js/.go/.rb (tree-sitter)
    collect_stats(url) -> StatsScan # pg_stat_statements, read-only
    prisma_queries(read_prisma_schema(path))  # the SQL the Prisma client sends per model

The corpus's format, and reading it back as AppQuery, is zdt.compat.corpus: compatibility checks and the
rehearsal load sit below this package and read the file without knowing how it was collected.
"""

from zdt.collect.collect import collect_corpus
from zdt.collect.prisma_queries import prisma_queries
from zdt.collect.prisma_schema import PrismaSchemaError, parse_prisma_schema, read_prisma_schema
from zdt.collect.source import SourceScan, scan_source
from zdt.collect.sql_files import sql_file_queries
from zdt.collect.stats import StatsScan, StatsUnavailable, collect_stats

__all__ = [
    "PrismaSchemaError",
    "SourceScan",
    "StatsScan",
    "StatsUnavailable",
    "collect_corpus",
    "collect_stats",
    "parse_prisma_schema",
    "prisma_queries",
    "read_prisma_schema",
    "scan_source",
    "sql_file_queries",
]
