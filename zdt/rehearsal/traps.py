"""Name what the application's failures during a rehearsal mean, and who has to act.

A failed request during a rehearsal is only useful if it says which step caused it, which of the
application's queries it hit, and what to do. One failure gets its own name because it is easy to miss
and expensive in production: the **prepared-statement trap**. A client that prepared a statement on the
server (psycopg after 5 executions, JDBC after 5, most drivers and poolers in some mode) keeps its plan;
when a step changes the type or the number of columns that statement returns (a column retyped or swapped
by rename, ``SELECT *`` after ADD COLUMN), the next execution fails with SQLSTATE 0A000 "cached plan must
not change result type" — on every such connection, after the step, until the client reconnects or
re-prepares. Measured on this machine: thousands of errors during and after a type swap under load. No
monitor threshold during the step catches it early (the step itself is fast); only traffic with prepared
statements does, which is why the rehearsal runs with them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from zdt.load import LoadResult

FEATURE_NOT_SUPPORTED = "0A000"
CACHED_PLAN_MESSAGE = "cached plan must not change result type"
BEFORE_FIRST_STEP = "before the first step"


class TrafficFinding(BaseModel):
    """Requests that failed from the plan's start on, grouped by SQLSTATE."""

    kind: Literal["prepared-statement-trap", "query-errors"]
    sqlstate: str
    message: str
    requests: int
    queries: dict[str, int] = Field(description="Failed requests per application query.")
    first_at_s: float = Field(description="Seconds since the load started.")
    step: str = Field(description="The step that was running (or had last run) when the first one failed.")
    advice: str

    def sentence(self) -> str:
        names = ", ".join(f"{name} x{count}" for name, count in sorted(self.queries.items()))
        failed = f"{self.requests} request(s) failed with {self.sqlstate} ({self.message})"
        return f"{self.kind} at step {self.step}: {failed} — {names}. {self.advice}"


def is_prepared_statement_trap(sqlstate: str, message: str) -> bool:
    return sqlstate == FEATURE_NOT_SUPPORTED and CACHED_PLAN_MESSAGE in message


def _step_at(offset: float, step_marks: Sequence[tuple[str, float]]) -> str:
    current = BEFORE_FIRST_STEP
    for label, at in step_marks:
        if at <= offset:
            current = label
    return current


def _advice(trap: bool, step: str) -> str:
    if trap:
        return (
            f"Clients holding a server-side prepared statement of these queries fail after step {step} until "
            "they reconnect or re-prepare. Keep the result type the running clients see: a new column the "
            "application moves to instead of a type change or a rename swap (zdt's change-column-type "
            "recipe), queries that name their columns instead of SELECT *; or, if the step must stay, have "
            f"exactly these clients reconnect right after step {step} (a rolling restart of their pool)."
        )
    return (
        f"These queries fail on the schema as step {step} leaves it: the application must be changed (and "
        "deployed) before that step runs; the compatibility report lists what breaks."
    )


def find_traffic_findings(
    result: LoadResult, start: float, step_marks: Sequence[tuple[str, float]]
) -> list[TrafficFinding]:
    """One finding per SQLSTATE seen from ``start`` (the plan's start, on the load's clock) on."""
    findings = []
    for sqlstate, count in sorted(result.errors_by_sqlstate(start).items()):
        message = result.error_messages.get(sqlstate, "")
        first = result.first_error_at(sqlstate, start)
        step = _step_at(first if first is not None else start, step_marks)
        trap = is_prepared_statement_trap(sqlstate, message)
        findings.append(
            TrafficFinding(
                kind="prepared-statement-trap" if trap else "query-errors",
                sqlstate=sqlstate,
                message=message,
                requests=count,
                queries=result.errors_by_query(start, sqlstate=sqlstate),
                first_at_s=round(first if first is not None else start, 3),
                step=step,
                advice=_advice(trap, step),
            )
        )
    return findings
