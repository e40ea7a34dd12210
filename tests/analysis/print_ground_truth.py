"""Print what every claims-corpus statement measurably does on a real server, one line per case.

    python tests/analysis/print_ground_truth.py [--url URL]

Without --url an embedded PostgreSQL is started for the run. The line format is
``id | locks | rewritten | scanned | blocked_reads | blocked_writes | transactional | error``; the analyser's
author compares it with the analyser's claims. Cases not meant for the server's version are skipped.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.analysis.claims_corpus import ClaimCase, cases_for, trace_case
from zdt.analysis.trace import TraceResult
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.urls import redact


def _names(names: list[str]) -> str:
    """public.users -> users: the corpus lives in public, so the schema is noise in a one-line report."""
    return ",".join(name.removeprefix("public.") for name in names) or "-"


def format_line(claim: ClaimCase, result: TraceResult) -> str:
    """One report line for one case."""
    locks = ",".join(
        f"{lock.relation.removeprefix('public.')}({lock.relkind})={lock.mode.value}" for lock in result.locks
    )
    error = result.error or "-"
    if claim.expect_error:
        error = f"{error} (expected {claim.expect_error})"
    fields = [
        claim.id,
        locks or "-",
        _names(result.rewritten) + (f" truncated={_names(result.truncated)}" if result.truncated else ""),
        _names(result.scanned),
        _names(result.blocked_reads),
        _names(result.blocked_writes),
        "tx" if result.transactional else "no-tx",
        error,
    ]
    line = " | ".join(fields)
    if result.notes:
        line += " | notes: " + "; ".join(result.notes)
    return line


@contextmanager
def _server(url: str | None) -> Iterator[str]:
    """The given server, or an embedded one for the duration of the run."""
    if url:
        yield url
        return
    with EmbeddedPostgres() as server:
        yield server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="superuser URL of the server (default: start an embedded one)")
    args = parser.parse_args(argv)
    failures = 0
    with _server(args.url) as url:
        with psycopg.connect(url) as conn:
            version = conn.info.server_version // 10000
        started = time.monotonic()
        print(f"# ground truth on PostgreSQL {version} ({redact(url)})")
        print("# id | locks | rewritten | scanned | blocked_reads | blocked_writes | transactional | error")
        for claim in cases_for(version):
            result = trace_case(url, claim)
            print(format_line(claim, result), flush=True)
            if (result.error or "")[:5] != (claim.expect_error or ""):
                failures += 1
        print(f"# {failures} unexpected outcome(s), {time.monotonic() - started:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
