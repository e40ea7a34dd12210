"""Compare the analyser's static claim for a corpus case with what the server measurably did."""

from __future__ import annotations

import psycopg

from tests.analysis.claims_corpus import RESET_PUBLIC, ClaimCase, run_setup
from zdt.analysis import analyse_sql
from zdt.analysis.model import StatementReport
from zdt.analysis.trace import TraceResult, trace_script
from zdt.analysis.trace_compare import disagreements
from zdt.schema import introspect


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


__all__ = ["claim_and_truth", "disagreements"]
