"""Does the application's current code still work against the new schema? Prove it query by query.

Each query is prepared on the old schema (the baseline: it must have worked there) and on the new one.
A query that prepared on the old schema and fails on the new one is a break the migration causes: the
verdict is ``incompatible`` and names it. A query that could not be judged (refused by the policy, a lock
or statement timeout, or failing on the old schema too) makes the verdict ``unknown`` rather than a guess.
Nothing is executed and every transaction is rolled back, so both databases are left exactly as found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from zdt.compat.admission import refusal
from zdt.compat.prepare import QueryOutcome, Timeouts, checker_connection, prepare_query
from zdt.compat.queries import AppQuery, parse_queries
from zdt.compat.result import CompatibilityResult, QueryCheck

QueryInput = AppQuery | str
Verdict = Literal["compatible", "incompatible", "unknown"]


def as_queries(queries: Sequence[QueryInput]) -> list[AppQuery]:
    """Accept parsed corpus queries or plain SQL strings (one statement each; a syntax error raises)."""
    parsed: list[AppQuery] = []
    for index, query in enumerate(queries):
        if isinstance(query, AppQuery):
            parsed.append(query)
            continue
        statements = parse_queries(query, source=f"query {index + 1}")
        if len(statements) != 1:
            raise ValueError(f"query {index + 1}: expected exactly one statement, got {len(statements)}")
        parsed.append(statements[0].model_copy(update={"index": index}))
    return parsed


def prepare_all(
    url: str, queries: Sequence[QueryInput], timeouts: Timeouts | None = None
) -> list[QueryOutcome]:
    """One outcome per query against the database at ``url``; refused queries never reach it."""
    timeouts = timeouts or Timeouts()
    parsed = as_queries(queries)
    outcomes: list[QueryOutcome] = []
    with checker_connection(url) as conn:
        for query in parsed:
            reason = refusal(query)
            if reason is not None:
                outcomes.append(QueryOutcome(ok=False, refused=reason))
            else:
                outcomes.append(prepare_query(conn, query, timeouts))
    return outcomes


def check_queries(
    url: str, queries: Sequence[QueryInput], timeouts: Timeouts | None = None
) -> list[QueryCheck]:
    """Check the queries against one database (reported as ``new_schema_ok``; old not checked)."""
    parsed = as_queries(queries)
    return [
        QueryCheck(query=query.sql, label=query.label, new_schema_ok=outcome.ok, error=outcome.error)
        for query, outcome in zip(parsed, prepare_all(url, parsed, timeouts), strict=True)
    ]


def _columns_text(outcome: QueryOutcome) -> dict[str, str]:
    return {column.name: column.type for column in outcome.columns}


class QueryComparison(BaseModel):
    """One query on both schemas."""

    query: AppQuery
    old: QueryOutcome
    new: QueryOutcome

    @property
    def status(self) -> str:
        """passes | breaks | refused | unchecked (a timeout on either side) | fails-on-both."""
        if self.new.ok:
            return "passes"
        if self.new.refused:
            return "refused"
        if self.new.transient or self.old.transient:
            return "unchecked"
        return "breaks" if self.old.ok else "fails-on-both"

    @property
    def breaks(self) -> bool:
        """Worked on the old schema, fails on the new one for a reason that is not a timeout."""
        return self.status == "breaks"

    @property
    def result_changes(self) -> list[str]:
        """How the rows or parameters the application sees differ, when both schemas accept the query."""
        if not (self.old.ok and self.new.ok):
            return []
        changes = []
        old, new = _columns_text(self.old), _columns_text(self.new)
        for name, kind in new.items():
            if name not in old:
                changes.append(f"new result column {name} {kind}")
            elif old[name] != kind:
                changes.append(f"result column {name} changes type {old[name]} -> {kind}")
        changes += [f"result column {name} {kind} is gone" for name, kind in old.items() if name not in new]
        if list(old) != list(new) and not changes:
            changes.append("result columns change order")
        for position, (before, after) in enumerate(
            zip(self.old.parameters, self.new.parameters, strict=False)
        ):
            if before != after:
                changes.append(f"parameter ${position + 1} changes type {before} -> {after}")
        if len(self.old.parameters) != len(self.new.parameters):
            changes.append("the number of parameters changes")
        return changes

    def as_check(self) -> QueryCheck:
        if self.new.refused:
            return QueryCheck(
                query=self.query.sql,
                label=self.query.label,
                new_schema_ok=False,
                old_schema_ok=None,
                error=self.new.error,
            )
        error = self.new.error
        if error is None and self.old.error is not None:
            error = f"old schema: {self.old.error}"
        return QueryCheck(
            query=self.query.sql,
            label=self.query.label,
            new_schema_ok=self.new.ok,
            old_schema_ok=self.old.ok,
            error=error,
        )


class CompatibilityAssessment(BaseModel):
    """The verdict with the per-query detail the report needs (result shapes, error positions)."""

    result: CompatibilityResult
    comparisons: list[QueryComparison] = Field(default_factory=list)


def _summary(comparisons: list[QueryComparison]) -> tuple[Verdict, str]:
    def having(status: str) -> list[QueryComparison]:
        return [c for c in comparisons if c.status == status]

    broken, refused, transient, stale = (
        having(s) for s in ("breaks", "refused", "unchecked", "fails-on-both")
    )
    changed = [c for c in comparisons if c.result_changes]
    old_only = [c for c in comparisons if c.new.ok and not c.old.ok]
    passing = sum(1 for c in comparisons if c.new.ok)
    parts = []
    verdict: Verdict
    if broken:
        verdict = "incompatible"
        named = "; ".join(f"{c.query.label}: {c.new.error}" for c in broken)
        parts.append(f"{len(broken)} of {len(comparisons)} queries break on the new schema: {named}")
    elif refused or transient or stale:
        verdict = "unknown"
    else:
        verdict = "compatible"
        parts.append(f"all {len(comparisons)} queries prepare on the new schema")
    if refused:
        parts.append(
            f"{len(refused)} not checked: " + "; ".join(f"{c.query.label}: {c.new.refused}" for c in refused)
        )
    if transient:
        parts.append(
            f"{len(transient)} could not be checked (lock or statement timeout): "
            + ", ".join(c.query.label for c in transient)
        )
    if stale:
        parts.append(
            f"{len(stale)} fail on the old schema too (not caused by the migration): "
            + ", ".join(c.query.label for c in stale)
        )
    if broken or refused or transient or stale:
        parts.append(f"{passing} pass")
    if old_only:
        parts.append(
            f"{len(old_only)} pass only on the new schema: " + ", ".join(c.query.label for c in old_only)
        )
    if changed:
        parts.append(
            f"{len(changed)} prepare but change what the application receives "
            "(server-side prepared statements must be re-prepared): "
            + "; ".join(f"{c.query.label}: {', '.join(c.result_changes)}" for c in changed)
        )
    if not comparisons:
        verdict, parts = "unknown", ["no queries to check"]
    return verdict, f"{verdict}: " + ". ".join(parts) + "."


def compare(
    old_outcomes: Sequence[QueryOutcome], new_outcomes: Sequence[QueryOutcome], queries: Sequence[AppQuery]
) -> CompatibilityAssessment:
    """Build the verdict from both schemas' outcomes (no database needed)."""
    comparisons = [
        QueryComparison(query=query, old=old, new=new)
        for query, old, new in zip(queries, old_outcomes, new_outcomes, strict=True)
    ]
    verdict, summary = _summary(comparisons)
    result = CompatibilityResult(
        verdict=verdict,
        checks=[comparison.as_check() for comparison in comparisons],
        summary=summary,
    )
    return CompatibilityAssessment(result=result, comparisons=comparisons)


def assess_compatibility(
    old_url: str, new_url: str, queries: Sequence[QueryInput], timeouts: Timeouts | None = None
) -> CompatibilityAssessment:
    """Prepare every query on the old schema (baseline) and on the new one, and compare."""
    parsed = as_queries(queries)
    old = prepare_all(old_url, parsed, timeouts)
    new = prepare_all(new_url, parsed, timeouts)
    return compare(old, new, parsed)


def check_compatibility(
    old_url: str, new_url: str, queries: Sequence[QueryInput], timeouts: Timeouts | None = None
) -> CompatibilityResult:
    """The Application Compatibility agent's verdict: does the old code's corpus work on the new schema?"""
    return assess_compatibility(old_url, new_url, queries, timeouts).result
