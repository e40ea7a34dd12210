"""Which corpus statements may be checked at all: application DML and queries, nothing else.

An application query file is input from outside, so before anything is sent to a server it passes the
project's SQL policy (no role changes, no functions that kill backends or read server files, ...) and must
be a statement PREPARE accepts: SELECT/VALUES, INSERT, UPDATE, DELETE, MERGE. DDL in such a file is a
mistake (or an attempt): it is refused with the reason, never prepared, never run.
"""

from __future__ import annotations

from zdt.compat.queries import AppQuery
from zdt.policy import PolicyViolation, check_script

PREPARABLE = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


def refusal(query: AppQuery) -> str | None:
    """Why ``query`` may not be checked, or None when it may."""
    try:
        check_script(query.sql, single_statement=True)
    except PolicyViolation as violation:
        return f"refused by the SQL policy: {violation.reason}"
    if query.kind not in PREPARABLE:
        return (
            f"refused: {query.kind} is not an application query (only SELECT, INSERT, UPDATE, DELETE "
            "and MERGE are checked; DDL and utility statements never run here)"
        )
    return None
