"""The proof: for every statement kind in the corpus, the analyser's static claim (locks, rewrite, scan,
blocks_reads, blocks_writes, transactional) equals what this server measurably did. A disagreement is a
bug in the analyser, not in the test."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.analysis.claims_compare import claim_and_truth, disagreements
from tests.analysis.claims_corpus import ClaimCase, cases_for
from zdt.db.scratch import scratch_database

WORKERS = 4


def _check(admin_url: str, cases: list[ClaimCase]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with scratch_database(admin_url, prefix="zdt_claims") as url:
        for claim in cases:
            report, truth = claim_and_truth(url, claim)
            if not truth.ok:
                found[claim.id] = [f"the statement failed: {truth.error}"]
            elif problems := disagreements(report, truth):
                found[claim.id] = problems
    return found


def test_static_claims_match_the_server(admin_url: str, server_version: int) -> None:
    cases = [claim for claim in cases_for(server_version) if claim.expect_error is None]
    assert len(cases) >= 100
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        chunks = pool.map(lambda index: _check(admin_url, cases[index::WORKERS]), range(WORKERS))
        problems = {case_id: found for chunk in chunks for case_id, found in chunk.items()}
    assert problems == {}
