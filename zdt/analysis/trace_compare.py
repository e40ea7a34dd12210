"""Put a static claim beside what a traced run measured, and say where they disagree.

Used by ``zdt lint --trace`` and by the proof tests. Tables (relkind r/p) are compared strictly; other
relations (indexes, sequences, views) only where the claim names them.
"""

from __future__ import annotations

from zdt.analysis.model import StatementReport
from zdt.analysis.trace import TraceResult

TABLE_KINDS = ("r", "p")


def disagreements(report: StatementReport, truth: TraceResult, *, rows_present: bool = True) -> list[str]:
    """Every claim the measurement contradicts, in words; empty when the analyser was right.

    ``rows_present`` False (an empty schema copy) skips blocks_writes claims that come from row locks
    alone, which only a table with rows can show.
    """
    problems: list[str] = []
    claimed = {lock.relation: lock.mode for lock in report.locks}
    measured = {lock.relation: lock for lock in truth.locks}
    for relation, lock in measured.items():
        if lock.relkind in TABLE_KINDS and claimed.get(relation) != lock.mode:
            problems.append(f"lock on {relation}: claimed {claimed.get(relation)}, measured {lock.mode}")
    for relation, mode in claimed.items():
        if relation not in measured:
            problems.append(f"lock on {relation}: claimed {mode}, measured none")
        elif measured[relation].relkind not in TABLE_KINDS and measured[relation].mode != mode:
            problems.append(f"lock on {relation}: claimed {mode}, measured {measured[relation].mode}")
    target = report.target
    if target is not None:
        row_locks_only = bool(report.lock and not report.lock.blocks_writes)
        facts = {
            "rewrites_table": (report.rewrites_table, target in truth.rewritten or target in truth.truncated),
            "scans_table": (report.scans_table, target in truth.scanned or target in truth.rewritten),
            "blocks_reads": (report.blocks_reads, target in truth.blocked_reads),
            "blocks_writes": (report.blocks_writes, target in truth.blocked_writes),
        }
        if not rows_present:
            facts.pop("scans_table")  # an empty table's scan counts nothing
            if row_locks_only:
                facts.pop("blocks_writes")
        for name, (claim, actual) in facts.items():
            if claim != actual:
                problems.append(f"{name} of {target}: claimed {claim}, measured {actual}")
    if report.transactional != truth.transactional:
        problems.append(f"transactional: claimed {report.transactional}, measured {truth.transactional}")
    return problems
