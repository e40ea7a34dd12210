"""Compare the analyser's static claim for a corpus case with what the server measurably did."""

from __future__ import annotations

import psycopg

from tests.analysis.claims_corpus import RESET_PUBLIC, ClaimCase, run_setup
from zdt.analysis import analyse_sql
from zdt.analysis.model import StatementReport
from zdt.analysis.trace import TraceResult, trace_script
from zdt.schema import introspect

TABLE_KINDS = ("r", "p")


def claim_and_truth(
    url: str, claim: ClaimCase, probe_timeout_ms: int = 20
) -> tuple[StatementReport, TraceResult]:
    """Set the case up, read the schema, analyse the statement, then trace it on the server."""
    run_setup(url, RESET_PUBLIC + claim.setup)
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    script = ";\n".join([*claim.session, claim.statement]) + ";"
    report = analyse_sql(script, snapshot=snapshot)[-1]
    truth = trace_script(url, [*claim.session, claim.statement], probe_timeout_ms=probe_timeout_ms)[-1]
    return report, truth


def disagreements(report: StatementReport, truth: TraceResult) -> list[str]:
    """Every claim the server contradicts, in words; empty when the analyser was right."""
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
        facts = {
            "rewrites_table": (report.rewrites_table, target in truth.rewritten or target in truth.truncated),
            "scans_table": (report.scans_table, target in truth.scanned or target in truth.rewritten),
            "blocks_reads": (report.blocks_reads, target in truth.blocked_reads),
            "blocks_writes": (report.blocks_writes, target in truth.blocked_writes),
        }
        for name, (claim, actual) in facts.items():
            if claim != actual:
                problems.append(f"{name} of {target}: claimed {claim}, measured {actual}")
    if report.transactional != truth.transactional:
        problems.append(f"transactional: claimed {report.transactional}, measured {truth.transactional}")
    return problems
