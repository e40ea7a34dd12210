"""The Application Compatibility agent's checks: does the running code's SQL survive the new schema?

Public API::

    load_queries(path) / parse_queries(text) -> list[AppQuery]      # pglast split, lines kept
    read_queries(text) -> list[AppQuery]       # a .sql text or a collected corpus (JSON, QueryCorpus)
    check_queries(url, queries) -> list[QueryCheck]                 # one database
    check_compatibility(old_url, new_url, queries) -> CompatibilityResult   # result.py: + QueryCheck
    assess_compatibility(old_url, new_url, queries) -> CompatibilityAssessment  # + per-query detail
    write_compatibility_report(out_dir, result, comparisons) -> APP-COMPATIBILITY.md

Queries are only ever PREPAREd in rolled-back read-only transactions: nothing runs, nothing changes.
"""

from zdt.compat.checks import (
    CompatibilityAssessment,
    QueryComparison,
    assess_compatibility,
    check_compatibility,
    check_queries,
    compare,
    prepare_all,
)
from zdt.compat.corpus import QueryCorpus, load_queries, read_queries
from zdt.compat.prepare import QueryOutcome, ResultColumn, Timeouts
from zdt.compat.queries import AppQuery, QueryOrigin, parse_queries
from zdt.compat.report import write_compatibility_report
from zdt.compat.result import CompatibilityResult, QueryCheck

__all__ = [
    "AppQuery",
    "CompatibilityAssessment",
    "CompatibilityResult",
    "QueryCheck",
    "QueryComparison",
    "QueryCorpus",
    "QueryOrigin",
    "QueryOutcome",
    "ResultColumn",
    "Timeouts",
    "assess_compatibility",
    "check_compatibility",
    "check_queries",
    "compare",
    "load_queries",
    "parse_queries",
    "prepare_all",
    "read_queries",
    "write_compatibility_report",
]
