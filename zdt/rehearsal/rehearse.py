"""Rehearse a plan on a throwaway embedded PostgreSQL holding a copy of the target's schema.

The target is only read: its schema is dumped (pg_dump --schema-only) and, with ``sample_rows``, a
sample of every table is streamed over with COPY. The plan then runs through the real executor on the
copy, so a plan is proven — locks, verifications, backfills, rollback — before it touches anything real.
With ``traffic``, the forward run happens under the application's load (``zdt.rehearsal.traffic``):
a plan that makes the application's requests fail does not pass, and the report says which step did it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from zdt.analysis.schema_copy import copy_schema
from zdt.compat.queries import AppQuery
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database
from zdt.executor import (
    EventCallback,
    ExecutionResult,
    ExecutorSettings,
    RollbackResult,
    apply_plan,
)
from zdt.plan.check import for_a_copy
from zdt.plan.model import MigrationPlan, Phase
from zdt.rehearsal.loaded_run import apply_under_traffic
from zdt.rehearsal.round_trip import RoundTrip, first_run_phases, round_trip
from zdt.rehearsal.sample import copy_sample
from zdt.rehearsal.traffic import TrafficReport, TrafficSettings
from zdt.schema import introspect


@dataclass
class RehearsalResult:
    """What the rehearsal proved: the forward run, the rollback back to the copied schema, the sample."""

    server_version: int
    sampled_rows: dict[str, int] = field(default_factory=dict)
    execution: ExecutionResult | None = None
    rollback_skipped: str | None = None
    traffic: TrafficReport | None = None
    trip: RoundTrip | None = None  # back and forward again, when the rollback was rehearsed

    @property
    def rollback(self) -> RollbackResult | None:
        return self.trip.rollback if self.trip else None

    @property
    def ok(self) -> bool:
        back = self.trip is None or self.trip.ok
        unharmed = self.traffic is None or self.traffic.ok
        return self.execution is not None and self.execution.ok and back and unharmed


def rehearse_plan(
    plan: MigrationPlan,
    target_url: str,
    *,
    phases: list[Phase] | None = None,
    sample_rows: int = 0,
    rollback: bool = True,
    settings: ExecutorSettings | None = None,
    on_event: EventCallback | None = None,
    log_path: Path,
    traffic: TrafficSettings | None = None,
    app_queries: Sequence[AppQuery] = (),
) -> RehearsalResult:
    """Copy the target's schema (and a sample of rows) to an embedded server, apply, then roll back."""
    if traffic is not None and traffic.enabled:
        sample_rows = max(sample_rows, traffic.sample_rows)
    with EmbeddedPostgres() as server, scratch_database(server.url, prefix="zdt_rehearsal") as url:
        copy_schema(target_url, url)
        with psycopg.connect(url) as conn:
            version = conn.info.server_version // 10000
            snapshot = introspect(conn)
        result = RehearsalResult(server_version=version)
        if sample_rows > 0:
            result.sampled_rows = copy_sample(target_url, url, snapshot, sample_rows)
        rehearsal = for_a_copy(plan)
        first = phases if phases is not None or not rollback else first_run_phases(rehearsal)
        if traffic is not None and traffic.enabled:
            run = apply_under_traffic(
                rehearsal,
                url,
                traffic,
                app_queries=app_queries,
                phases=first,
                settings=settings,
                on_event=on_event,
                log_path=log_path,
            )
            result.execution, result.traffic = run.execution, run.traffic
        else:
            result.execution = apply_plan(
                rehearsal, url, phases=first, settings=settings, on_event=on_event, log_path=log_path
            )
        irreversible = [s.id for s in rehearsal.steps if s.rollback.irreversible and _ran(s.phase, first)]
        if rollback and irreversible:
            result.rollback_skipped = (
                f"steps {', '.join(irreversible)} cannot be undone, so no rollback rehearsal"
            )
        elif rollback and result.execution.ok:

            def again() -> ExecutionResult:
                return apply_plan(
                    rehearsal, url, phases=phases, settings=settings, on_event=on_event, log_path=log_path
                )

            result.trip = round_trip(
                rehearsal,
                url,
                result.execution,
                settings=settings,
                log_path=log_path,
                on_event=on_event,
                forward_again=again,
            )
        return result


def _ran(phase: Phase, phases: list[Phase] | None) -> bool:
    return phases is None or phase in phases
