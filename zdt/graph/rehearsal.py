"""Rehearsal databases: where a plan is proven before production, and where the migrated schema is checked.

Why not only ``zdt.rehearsal.rehearse_plan``: the graph also needs the copy's URL, so the monitor can
watch the rehearsal and the compatibility agent can PREPARE the application's queries on the migrated
schema. The building blocks are the same (an embedded server, a scratch database, the target's schema
copied with pg_dump, optionally sampled rows); a staging database given by the user is used as it is,
and left as it was found (every rehearsal there is rolled back, failed or not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from zdt.analysis.schema_copy import copy_schema
from zdt.compat.queries import AppQuery
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database
from zdt.db.urls import redact
from zdt.executor import (
    EventCallback,
    ExecutionResult,
    ExecutorSettings,
    RollbackResult,
    Throttle,
    rollback_migration,
)
from zdt.graph.monitoring import MonitorCritical
from zdt.plan.check import for_a_copy
from zdt.plan.model import MigrationPlan
from zdt.rehearsal.loaded_run import apply_under_traffic
from zdt.rehearsal.round_trip import RoundTrip, first_run_phases, round_trip
from zdt.rehearsal.sample import copy_sample
from zdt.rehearsal.traffic import TrafficFeed, TrafficReport, TrafficSettings
from zdt.schema.snapshot import introspect


@dataclass
class RehearsalDatabase:
    url: str
    where: str  # for people: "embedded PostgreSQL 18 (schema + 100 rows per table)" or the staging URL
    sampled_rows: dict[str, int] = field(default_factory=dict)
    server_url: str | None = None  # the embedded server's superuser URL, for more scratch copies on it


@contextmanager
def embedded_copy(target_url: str, sample_rows: int = 0) -> Iterator[RehearsalDatabase]:
    """A throwaway embedded server holding the target's schema (and a sample of its rows)."""
    with EmbeddedPostgres() as server, scratch_database(server.url, prefix="zdt_rehearsal") as url:
        copy_schema(target_url, url)
        with psycopg.connect(url) as conn:
            version = conn.info.server_version // 10000
            snapshot = introspect(conn)
        sampled = copy_sample(target_url, url, snapshot, sample_rows) if sample_rows > 0 else {}
        contents = f"schema + up to {sample_rows} rows per table" if sample_rows > 0 else "schema only"
        yield RehearsalDatabase(url, f"embedded PostgreSQL {version} ({contents})", sampled, server.url)


@contextmanager
def rehearsal_database(
    target_url: str, staging_url: str | None, sample_rows: int = 0, target_version: int | None = None
) -> Iterator[RehearsalDatabase]:
    """The staging database when one is given, else an embedded copy of the target.

    A staging server older than the target is refused: the plan's recipes are chosen for the target's
    major version (PostgreSQL 18's ``NOT NULL ... NOT VALID``, for one), so an older staging would fail
    on syntax production accepts and prove nothing about what production will run."""
    if staging_url is None:
        with embedded_copy(target_url, sample_rows) as database:
            yield database
        return
    if redact(staging_url) == redact(target_url):
        raise ValueError("the staging database is the target database: refusing to rehearse on production")
    staging_version = _major_version(staging_url)
    if target_version is not None and staging_version < target_version:
        raise ValueError(
            f"staging {redact(staging_url)} runs PostgreSQL {staging_version} and the target "
            f"{target_version}: the plan is written for {target_version} and would not rehearse what "
            f"production runs; give a staging server of PostgreSQL {target_version} or newer, "
            "or leave --staging out to rehearse on an embedded copy"
        )
    yield RehearsalDatabase(staging_url, f"staging {redact(staging_url)} (PostgreSQL {staging_version})")


def _major_version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def for_rehearsal(plan: MigrationPlan) -> MigrationPlan:
    """The plan without the target's fingerprint (a copy or staging is another database), re-stamped."""
    return for_a_copy(plan)


@dataclass
class Rehearsal:
    execution: ExecutionResult
    traffic: TrafficReport
    trip: RoundTrip | None = None  # None when the monitor stopped the first run

    @property
    def rollback(self) -> RollbackResult | None:
        return self.trip.rollback if self.trip else None

    @property
    def rollback_skipped(self) -> str | None:
        return self.trip.skipped if self.trip else None

    @property
    def ok(self) -> bool:
        back = self.trip is None or self.trip.ok
        return self.execution.ok and back and self.traffic.ok


def rehearse_at(
    plan: MigrationPlan,
    url: str,
    *,
    settings: ExecutorSettings,
    log_path: Path,
    on_event: EventCallback | None = None,
    throttle: Throttle | None = None,
    traffic: TrafficSettings | None = None,
    app_queries: Sequence[AppQuery] = (),
    feed: TrafficFeed | None = None,
    on_plan_start: Callable[[], None] | None = None,
) -> Rehearsal:
    """Apply the plan under the application's load, roll it back, apply it again (``round_trip``: the
    rollback is proven, and so is a second run after it); after a failure the rollback alone runs, so
    staging is left as it was found."""
    rehearsal = for_rehearsal(plan)
    try:
        run = apply_under_traffic(
            rehearsal,
            url,
            traffic or TrafficSettings(enabled=False),
            app_queries=app_queries,
            phases=first_run_phases(rehearsal),
            settings=settings,
            on_event=on_event,
            throttle=throttle,
            feed=feed,
            on_plan_start=on_plan_start,
            log_path=log_path,
        )
    except MonitorCritical:
        # Stopped mid-plan: a staging database must still be left as it was found.
        rollback_migration(rehearsal, url, settings=settings, on_event=on_event, log_path=log_path)
        raise
    trip = round_trip(
        rehearsal,
        url,
        run.execution,
        settings=settings,
        log_path=log_path,
        on_event=on_event,
        throttle=throttle,
    )
    return Rehearsal(run.execution, run.traffic, trip)


def figures(plan: MigrationPlan, database: RehearsalDatabase, rehearsal: Rehearsal) -> dict[str, Any]:
    """What the approver reads about the rehearsal: per step its time, retries and the lock it held."""
    steps = {step.id: step for step in plan.steps}
    rows: list[dict[str, Any]] = []
    for result in rehearsal.execution.steps:
        step = steps.get(result.step_id)
        rows.append(
            {
                "step": result.step_id,
                "phase": step.phase.value if step else None,
                "ok": result.ok,
                "duration_s": round(result.duration_s, 3),
                "retries": result.retries,
                "rows": result.rows,
                "lock": step.lock.value if step and step.lock else None,
                "lock_duration": step.lock_duration.value if step else None,
                "message": result.message,
            }
        )
    rollback = rehearsal.rollback
    return {
        "where": database.where,
        "ok": rehearsal.ok,
        "message": rehearsal.execution.message,
        "failed_step": rehearsal.execution.failed_step,
        "steps": rows,
        "total_s": round(sum(row["duration_s"] for row in rows), 3),
        "sampled_rows": sum(database.sampled_rows.values()),
        "rollback": (
            {"ok": rollback.ok, "schema_restored": rollback.schema_restored, "message": rollback.message}
            if rollback
            else None
        ),
        "rollback_skipped": rehearsal.rollback_skipped,
        **(rehearsal.trip.figures() if rehearsal.trip else {}),
        "traffic": rehearsal.traffic.model_dump(mode="json"),
        "traffic_summary": rehearsal.traffic.summary(),
        "traffic_findings": [finding.sentence() for finding in rehearsal.traffic.findings],
    }
