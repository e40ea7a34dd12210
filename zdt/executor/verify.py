"""Verification: a read-only query whose first column of its first row must equal the expected value.

A verification that errors or returns no row has failed: the executor only proceeds on positive proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from zdt.executor.session import plan_sql
from zdt.plan.model import Verification


@dataclass(frozen=True)
class VerificationOutcome:
    passed: bool
    actual: Any
    expected: Any
    description: str = ""

    def describe(self) -> str:
        what = f" ({self.description})" if self.description else ""
        if self.passed:
            return f"verified{what}"
        return f"verification failed{what}: expected {self.expected!r}, got {self.actual!r}"


def values_equal(actual: Any, expected: Any) -> bool:
    """Equality that does not let 1 pass for true or 'true' for true, but lets numeric match int."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    if isinstance(actual, Decimal) and isinstance(expected, int | float):
        return actual == Decimal(str(expected))
    return bool(actual == expected)


def run_verification(conn: psycopg.Connection, verification: Verification) -> VerificationOutcome:
    """Run the query on ``conn`` (inside the caller's transaction, if any). SQL errors propagate."""
    row = conn.execute(plan_sql(verification.sql)).fetchone()
    if row is None:
        return VerificationOutcome(False, "<no row>", verification.expect, verification.description)
    actual = row[0]
    return VerificationOutcome(
        values_equal(actual, verification.expect), actual, verification.expect, verification.description
    )
