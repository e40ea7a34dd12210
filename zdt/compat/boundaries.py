"""Every phase boundary, both releases: who meets which schema, and does each query survive it?

A rollout is not one schema change but four states: before expand, after expand, after migrate, after
contract. The old release runs from the first until it is retired at the deploy gate, so it meets the
first three (and the first again after a rollback); the new release is deployed after migrate, so it
meets the last two, and the first if the migration is rolled back while it still runs. Checking the old
queries against the final schema alone calls a rename "incompatible" that the deploy gate makes safe, and
never asks whether the new release survives contract or a rollback.

So the plan is applied to a copy one phase at a time, and at each boundary every query of both releases
is PREPAREd (parsed, resolved, planned, never run: ``zdt.compat.checks.prepare_all``). A query that
fails, or whose result columns change (which breaks a server-side prepared statement with "cached plan
must not change result type"), at a boundary its release lives through is a **break**, named with its
origin, the boundary, the steps of the phase that led there, the server's error and the fix. What the
rollout already handles is reported as **deploy notes**, not breaks: the old release's queries that stop
working after contract (it must be gone first, which the deploy gate checks), and the new release's
queries that fail on the old schema (a rollback past expand must withdraw the new release first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Literal

from psycopg.conninfo import make_conninfo
from pydantic import BaseModel, Field

from zdt.compat.checks import as_queries, prepare_all
from zdt.compat.prepare import QueryOutcome, Timeouts
from zdt.compat.queries import AppQuery
from zdt.plan.model import PHASE_ORDER, MigrationPlan, Phase

Release = Literal["old", "new"]


class Boundary(StrEnum):
    BEFORE = "before expand"
    EXPANDED = "after expand"
    MIGRATED = "after migrate"
    CONTRACTED = "after contract"


AFTER = {
    Phase.EXPAND: Boundary.EXPANDED,
    Phase.MIGRATE: Boundary.MIGRATED,
    Phase.CONTRACT: Boundary.CONTRACTED,
}
WITHDRAW_FIRST = "a rollback past expand removes what it needs: withdraw the new release before rolling back"
OLD_RELEASE_LIVES = (Boundary.EXPANDED, Boundary.MIGRATED)
NEW_RELEASE_LIVES = (Boundary.MIGRATED, Boundary.CONTRACTED)


class BoundaryFinding(BaseModel):
    """One query of one release at one boundary: a break, or a note for the deploy."""

    release: Release
    query: str = Field(description="The query's label: name and origin (file:line).")
    sql: str
    boundary: Boundary
    steps: list[str] = Field(description="The steps of the phase that led to this boundary.")
    error: str | None = Field(
        default=None, description="The server's error, or None when only the columns changed."
    )
    columns: str | None = Field(
        default=None, description="'before -> after' when the result columns changed."
    )
    deploy_note: bool = Field(description="True: the rollout handles it (retire first / withdraw first).")
    fix: str

    def sentence(self) -> str:
        what = self.error or f"its result columns change ({self.columns})"
        return f"{self.release} release, {self.query}, {self.boundary.value}: {what}. Fix: {self.fix}"


class BoundaryReport(BaseModel):
    """What both releases met at every boundary the plan reached on the copy."""

    reached: list[Boundary]
    stopped: str | None = Field(default=None, description="Why the walk ended early: a phase did not apply.")
    old_queries: int
    new_queries: int
    not_judged: list[str] = Field(default_factory=list, description="Queries without a baseline, and why.")
    findings: list[BoundaryFinding] = Field(default_factory=list)

    @property
    def breaks(self) -> list[BoundaryFinding]:
        return [finding for finding in self.findings if not finding.deploy_note]

    @property
    def deploy_notes(self) -> list[BoundaryFinding]:
        return [finding for finding in self.findings if finding.deploy_note]

    @property
    def verdict(self) -> Literal["compatible", "incompatible", "unknown"]:
        if self.breaks:
            return "incompatible"
        return "unknown" if self.stopped or self.not_judged else "compatible"

    def summary(self) -> str:
        checked = (
            f"{self.old_queries} old and {self.new_queries} new queries at {len(self.reached)} boundaries"
        )
        parts = [f"{checked}: {len(self.breaks)} break(s), {len(self.deploy_notes)} deploy note(s)"]
        if self.not_judged:
            parts.append(f"{len(self.not_judged)} not judged")
        if self.stopped:
            parts.append(self.stopped)
        return "; ".join(parts)


Outcomes = dict[Boundary, tuple[list[QueryOutcome], list[QueryOutcome]]]


def new_release_url(plan: MigrationPlan, url: str) -> str:
    """Where the new release's queries run: through its version schema when the plan has one (before
    expand the schema does not exist yet, and the search_path falls through to the tables)."""
    if plan.versions is None:
        return url
    search_path = plan.versions.new_search_path.replace(" ", "")
    return make_conninfo(url, options=f"-c search_path={search_path}")


def walk_boundaries(
    plan: MigrationPlan,
    url: str,
    old: Sequence[AppQuery | str],
    new: Sequence[AppQuery | str],
    apply_phase: Callable[[Phase], str | None],
    timeouts: Timeouts | None = None,
) -> BoundaryReport:
    """Apply ``plan`` to the copy at ``url`` phase by phase, preparing both releases' queries before the
    first phase and after each; the copy ends migrated as far as the plan applied.

    ``apply_phase`` runs one phase and returns None, or why it failed (the executor, in a session)."""
    old_queries, new_queries = as_queries(old), as_queries(new)
    outcomes: Outcomes = {}
    new_url = new_release_url(plan, url)

    def look(boundary: Boundary) -> None:
        outcomes[boundary] = (
            prepare_all(url, old_queries, timeouts),
            prepare_all(new_url, new_queries, timeouts),
        )

    look(Boundary.BEFORE)
    stopped = None
    for phase in PHASE_ORDER:
        if plan.steps_in(phase):
            failure = apply_phase(phase)
            if failure is not None:
                stopped = f"{phase.value} did not apply on the copy: {failure}"
                break
            look(AFTER[phase])
        else:  # nothing changes: the boundary holds the schema of the one before it
            outcomes[AFTER[phase]] = outcomes[list(outcomes)[-1]]
    report = BoundaryReport(
        reached=list(outcomes), stopped=stopped, old_queries=len(old_queries), new_queries=len(new_queries)
    )
    steps = {boundary: [step.id for step in plan.steps_in(phase)] for phase, boundary in AFTER.items()}
    _judge_old(report, old_queries, outcomes, steps)
    _judge_new(report, new_queries, outcomes, steps)
    return report


def _judge_old(
    report: BoundaryReport, queries: list[AppQuery], outcomes: Outcomes, steps: dict[Boundary, list[str]]
) -> None:
    for index, query in enumerate(queries):
        baseline = outcomes[Boundary.BEFORE][0][index]
        if not baseline.ok:
            report.not_judged.append(
                f"old release, {query.label}: fails before the migration ({baseline.error})"
            )
            continue
        for boundary in (*OLD_RELEASE_LIVES, Boundary.CONTRACTED):
            if boundary not in outcomes:
                break
            finding = _compare(
                query, "old", boundary, baseline, outcomes[boundary][0][index], steps[boundary]
            )
            if finding is not None:
                report.findings.append(finding)
                break  # the first boundary that breaks it is the one to fix


def _judge_new(
    report: BoundaryReport, queries: list[AppQuery], outcomes: Outcomes, steps: dict[Boundary, list[str]]
) -> None:
    lives = [boundary for boundary in NEW_RELEASE_LIVES if boundary in outcomes]
    for index, query in enumerate(queries):
        if len(lives) < len(NEW_RELEASE_LIVES):
            report.not_judged.append(
                f"new release, {query.label}: the plan did not reach contract on the copy"
            )
            continue
        # The baseline is the first schema it works on: a query that works after migrate and fails after
        # contract is broken by contract; one that works nowhere the new release runs is no query of it.
        working = [outcomes[boundary][1][index] for boundary in lives if outcomes[boundary][1][index].ok]
        if not working:
            error = outcomes[Boundary.CONTRACTED][1][index].error
            report.not_judged.append(
                f"new release, {query.label}: fails after migrate and after contract ({error})"
            )
            continue
        baseline = working[0]
        for boundary in lives:
            finding = _compare(
                query, "new", boundary, baseline, outcomes[boundary][1][index], steps[boundary]
            )
            if finding is not None:
                report.findings.append(finding)
                break
        on_old = outcomes[Boundary.BEFORE][1][index]
        if not on_old.ok or _shape(on_old) != _shape(baseline):
            report.findings.append(
                BoundaryFinding(
                    release="new",
                    query=query.label,
                    sql=query.sql,
                    boundary=Boundary.BEFORE,
                    steps=[],
                    error=on_old.error,
                    columns=None if not on_old.ok else f"{_shape_text(baseline)} -> {_shape_text(on_old)}",
                    deploy_note=True,
                    fix=WITHDRAW_FIRST,
                )
            )


def _compare(
    query: AppQuery,
    release: Release,
    boundary: Boundary,
    baseline: QueryOutcome,
    outcome: QueryOutcome,
    steps: list[str],
) -> BoundaryFinding | None:
    if outcome.ok and _shape(outcome) == _shape(baseline):
        return None
    if not outcome.ok and (outcome.refused or outcome.transient):
        return None  # not a judgement about the schema (policy refusal, a lock or statement timeout)
    retired = release == "old" and boundary is Boundary.CONTRACTED
    columns = None if not outcome.ok else f"{_shape_text(baseline)} -> {_shape_text(outcome)}"
    return BoundaryFinding(
        release=release,
        query=query.label,
        sql=query.sql,
        boundary=boundary,
        steps=steps,
        error=outcome.error,
        columns=columns,
        deploy_note=retired,
        fix=_fix(release, boundary, steps, retired),
    )


def _fix(release: Release, boundary: Boundary, steps: list[str], retired: bool) -> str:
    named = ", ".join(steps) or "no step"
    if retired:
        return f"the old release must be gone before contract ({named}); the deploy gate waits for it"
    if release == "old":
        return (
            f"{named} break(s) it while the old release still runs: the plan must keep the old names and "
            "types until contract (plan the change as expand/migrate/contract), or ship the application "
            f"change before {boundary.value.replace('after ', '')}"
        )
    if boundary is Boundary.MIGRATED:
        return (
            "the new release needs what only contract provides: deploy it after contract, or change the "
            "query to the names expand and migrate provide"
        )
    return f"contract ({named}) removes or changes what the new release uses: keep it out of contract"


def _shape(outcome: QueryOutcome) -> list[tuple[str, str]]:
    return [(column.name, column.type) for column in outcome.columns]


def _shape_text(outcome: QueryOutcome) -> str:
    return ", ".join(f"{name} {type_}" for name, type_ in _shape(outcome)) or "no columns"
