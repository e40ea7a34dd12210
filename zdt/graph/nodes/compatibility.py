"""compatibility: will the application's queries keep working on the migrated schema (and the old one)?

The agent PREPAREs each query — parsed, resolved, planned, never run — on a throwaway copy of the target
with the plan applied, and on the target as it is. Whatever the verdict, the session goes on to the
approval: the verdict is one of the things the approver weighs, shown next to the plan.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from langgraph.runtime import Runtime

from zdt.agents.compatibility import CompatibilityAgent
from zdt.agents.errors import AgentError
from zdt.analysis.schema_copy import SchemaCopyError
from zdt.analysis.source import SqlSyntaxError
from zdt.compat import CompatibilityResult
from zdt.compat.boundaries import BoundaryReport, walk_boundaries
from zdt.compat.corpus import CorpusError, read_queries
from zdt.compat.queries import AppQuery
from zdt.executor import ExecutorError, apply_plan
from zdt.graph.agents import run_session_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.rehearsal import embedded_copy, for_rehearsal
from zdt.graph.reports import write_compatibility
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry
from zdt.plan.model import MigrationPlan, Phase
from zdt.sessions.scratchpads import LOG_MD


@dataclass
class MigratedCopy:
    """The copy with the plan applied (None when it did not apply) and what both releases met on the way."""

    url: str | None
    boundaries: BoundaryReport | None


@contextmanager
def migrated_copy(
    plan: MigrationPlan, target_url: str, ctx: SessionContext, old: list[AppQuery], new: list[AppQuery]
) -> Iterator[MigratedCopy]:
    """An embedded copy of the target with the plan applied one phase at a time, both releases' queries
    prepared at every boundary (``zdt.compat.boundaries``)."""
    rehearsal = for_rehearsal(plan)
    with tempfile.TemporaryDirectory(prefix="zdt-compat-") as scratch, embedded_copy(target_url) as copy:
        log_path = Path(scratch) / LOG_MD

        def apply_phase(phase: Phase) -> str | None:
            result = apply_plan(
                rehearsal,
                copy.url,
                phases=[phase],
                settings=ctx.executor_settings("rehearsal"),
                log_path=log_path,
            )
            return None if result.ok else result.message

        report = walk_boundaries(rehearsal, copy.url, old, new, apply_phase)
        yield MigratedCopy(copy.url if report.stopped is None else None, report if old or new else None)


def compatibility(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("compatibility")
    ctx = runtime.context
    request = state.session_request()
    plan = state.migration_plan()
    assert plan is not None
    progress("started", queries=bool(request.queries))
    where = "none (no application queries given)"
    boundaries: BoundaryReport | None = None
    try:
        if request.queries or request.new_queries:
            old, new = _corpus(request.queries, "--queries"), _corpus(request.new_queries, "--new-queries")
            with migrated_copy(plan, ctx.target_url, ctx, old, new) as copy:
                where = "an embedded copy of the target with the plan applied"
                boundaries = copy.boundaries
                result = _check(state, ctx, progress, request.queries, copy.url)
        else:
            result = _check(state, ctx, progress, None, None)
    except (psycopg.Error, SchemaCopyError, ExecutorError, AgentError, SqlSyntaxError, CorpusError) as error:
        result = CompatibilityResult(verdict="unknown", summary=f"the check could not run: {error}")
    write_compatibility(
        ctx.session_dir(state.session_id), state.session_id, state.brain, result, where, boundaries
    )
    progress("verdict", verdict=result.verdict, summary=result.summary)
    if boundaries is not None:
        progress("boundaries", verdict=boundaries.verdict, summary=boundaries.summary())
    return {
        "route": Route.NEXT.value,
        "status": SessionStatus.AWAITING_APPROVAL.value,
        "compatibility": result.model_dump(mode="json"),
        "boundaries": boundaries.model_dump(mode="json") if boundaries else None,
        "log": log_entry(
            "compatibility",
            f"{result.verdict}: {result.summary}"
            + (f"; every boundary: {boundaries.verdict}: {boundaries.summary()}" if boundaries else ""),
        ),
    }


def _corpus(text: str | None, source: str) -> list[AppQuery]:
    """A release's queries: SQL text or a collected corpus (JSON), as ``zdt run`` accepted them."""
    return read_queries(text, source=source) if text and text.strip() else []


def _check(
    state: SessionState,
    ctx: SessionContext,
    progress: Progress,
    queries: str | None,
    copy_url: str | None,
) -> CompatibilityResult:
    if queries and copy_url is None:
        return CompatibilityResult(verdict="unknown", summary="the plan did not apply to the copy")
    context = {"queries": queries, "plan": state.plan, "new_schema": "staging", "old_schema": "target"}
    return run_session_agent(
        CompatibilityAgent(),
        context,
        session=ctx,
        session_id=state.session_id,
        progress=progress,
        environment="rehearsal",
        staging_url=copy_url,
        plan=state.migration_plan(),
    )
