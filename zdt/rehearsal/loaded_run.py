"""Apply a plan on a rehearsal database while the application's load runs, phase by phase.

Why the contract phase runs without the load: expand and migrate run while the current release of the
application is live, so its queries must keep working through them — that is what the rehearsal proves.
The contract phase runs only after the application has moved (it drops what the old release uses), so
the old release's queries failing there is expected and proves nothing; whether the *new* release's
queries work is the compatibility check's job (it prepares them on the migrated schema).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zdt.compat.queries import AppQuery
from zdt.executor import (
    EventCallback,
    EventKind,
    ExecutionEvent,
    ExecutionResult,
    ExecutorSettings,
    Throttle,
    apply_plan,
)
from zdt.plan.model import MigrationPlan, Phase
from zdt.rehearsal.traffic import RehearsalTraffic, TrafficFeed, TrafficReport, TrafficSettings
from zdt.rehearsal.workload import rehearsal_workload

LIVE_PHASES = (Phase.EXPAND, Phase.MIGRATE)


@dataclass
class LoadedRun:
    execution: ExecutionResult
    traffic: TrafficReport


def marking(traffic: RehearsalTraffic, then: EventCallback | None) -> EventCallback:
    """An event callback that marks each step's start on the traffic's timeline, then passes it on."""

    def observe(event: ExecutionEvent) -> None:
        if event.kind is EventKind.STEP_STARTED and event.step_id:
            traffic.mark(event.step_id)
        if then is not None:
            then(event)

    return observe


def _merged(first: ExecutionResult, second: ExecutionResult) -> ExecutionResult:
    seen = {step.step_id for step in first.steps}
    steps = [*first.steps, *(step for step in second.steps if step.step_id not in seen)]
    return second.model_copy(update={"steps": steps})


def apply_under_traffic(
    plan: MigrationPlan,
    url: str,
    traffic: TrafficSettings,
    *,
    app_queries: Sequence[AppQuery] = (),
    phases: Sequence[Phase] | None = None,
    settings: ExecutorSettings | None = None,
    on_event: EventCallback | None = None,
    throttle: Throttle | None = None,
    feed: TrafficFeed | None = None,
    on_plan_start: Callable[[], None] | None = None,
    log_path: Path,
) -> LoadedRun:
    """Expand and migrate under the load, then (if asked for) contract without it.

    ``feed`` is pointed at the running load while it runs, so a monitor holding it reads the load's
    live error counts. ``on_plan_start`` is called once the load is warm, right before the first step (a
    monitor takes its baseline up to there, so the baseline is measured under the same load).
    """
    start = on_plan_start or (lambda: None)

    def run(which: list[Phase] | None, observe: EventCallback | None = on_event) -> ExecutionResult:
        return apply_plan(
            plan, url, phases=which, settings=settings, on_event=observe, throttle=throttle, log_path=log_path
        )

    if not traffic.enabled:
        start()
        execution = run(list(phases) if phases is not None else None)
        return LoadedRun(execution, TrafficReport.empty("the rehearsal ran without application load"))
    wanted = list(phases) if phases is not None else [step.phase for step in plan.steps]
    live = [phase for phase in LIVE_PHASES if phase in wanted]
    later = [phase for phase in dict.fromkeys(wanted) if phase not in LIVE_PHASES]
    if not live:
        start()
        execution = run(later)
        return LoadedRun(execution, TrafficReport.empty("the plan has no expand or migrate step to load"))
    tables = sorted({table for step in plan.steps if step.phase in live for table in step.tables})
    load = rehearsal_workload(url, tables, app_queries)
    with RehearsalTraffic(url, load.workload, traffic, load.notes) as running:
        if feed is not None:
            feed.source = feed.last = running
        try:
            start()
            execution = run(live, marking(running, on_event))
        finally:
            if feed is not None:
                feed.source = None
    if later and execution.ok:
        execution = _merged(execution, run(later))
    return LoadedRun(execution, running.report())
