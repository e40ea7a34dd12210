"""Rehearsing the way back: forward, back, forward again.

A rollback that was never run is a hope. One that ran once proves the way back, but not that the plan
can be applied again afterwards, which is what an operator does after rolling back a failed contract
or a bad deploy: leftovers of the first run (a kept-values table, an index, a trigger) that the undo
missed would make the second run fail in production, where it matters. So the rehearsal goes forward,
rolls back and checks the schema fingerprint, goes forward again and, when the whole plan can be undone,
rolls back once more so a staging database is left as it was found.

What can be undone decides how far the first forward run goes. Contract is where a plan may become
final (dropping the old column, or the old values a batched UPDATE kept): when a contract step cannot
be undone, the first run stops after migrate, which is exactly the rollback the deploy gate offers,
and the second run goes all the way, contract included. A plan with an irreversible expand or migrate
step (the gate refuses those) has no rollback to rehearse, and the result says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zdt.executor import (
    EventCallback,
    ExecutionResult,
    ExecutorSettings,
    RollbackResult,
    Throttle,
    apply_plan,
    rollback_migration,
)
from zdt.plan.model import MigrationPlan, Phase

BEFORE_CONTRACT = [Phase.EXPAND, Phase.MIGRATE]


@dataclass
class RoundTrip:
    """The way back and forward again, as rehearsed after the first forward run."""

    scope: str  # what the rollback undid: "the whole plan" or "expand and migrate"
    rollback: RollbackResult | None = None
    forward_again: ExecutionResult | None = None
    final_rollback: RollbackResult | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """The way back restored the schema, the second run passed, and the last undo restored it too."""
        if self.skipped is not None:
            return True
        back = self.rollback is not None and self.rollback.schema_restored
        again = self.forward_again is None or self.forward_again.ok
        last = self.final_rollback is None or self.final_rollback.schema_restored
        return back and again and last

    def figures(self) -> dict[str, object]:
        """What the approver reads: the scope, and the second run's outcome."""
        again = self.forward_again
        last = self.final_rollback
        return {
            "rollback_scope": self.scope,
            "forward_again": ({"ok": again.ok, "message": again.message} if again else None),
            "final_rollback": (
                {"ok": last.ok, "schema_restored": last.schema_restored, "message": last.message}
                if last
                else None
            ),
        }


def first_run_phases(plan: MigrationPlan) -> list[Phase] | None:
    """The phases of the first forward run: all (None), or expand and migrate when contract is final."""
    if any(step.rollback.irreversible for step in plan.steps if step.phase is Phase.CONTRACT):
        return list(BEFORE_CONTRACT)
    return None


def not_rehearsable(plan: MigrationPlan) -> str | None:
    """Why the rollback cannot be rehearsed at all: an irreversible step before contract."""
    final = [
        step.id for step in plan.steps if step.rollback.irreversible and step.phase is not Phase.CONTRACT
    ]
    if final:
        return f"steps {', '.join(final)} cannot be undone, so the rollback was not rehearsed"
    return None


def round_trip(
    plan: MigrationPlan,
    url: str,
    first: ExecutionResult,
    *,
    settings: ExecutorSettings | None,
    log_path: Path,
    on_event: EventCallback | None = None,
    throttle: Throttle | None = None,
    forward_again: Callable[[], ExecutionResult] | None = None,
) -> RoundTrip:
    """Back, then forward again (all phases), after the ``first`` forward run of ``first_run_phases``.

    After a failed first run there is no second: the rollback alone leaves the copy as it was found.
    ``forward_again`` replaces the plain second run (the default applies every phase, without load).
    """
    phases = first_run_phases(plan)
    scope = "the whole plan" if phases is None else "expand and migrate (a contract step cannot be undone)"
    skipped = not_rehearsable(plan)
    if skipped is not None:
        return RoundTrip(scope, skipped=skipped)

    def back() -> RollbackResult:
        return rollback_migration(plan, url, settings=settings, on_event=on_event, log_path=log_path)

    trip = RoundTrip(scope, rollback=back())
    if not first.ok or not trip.rollback or not trip.rollback.schema_restored:
        return trip
    again = forward_again or (
        lambda: apply_plan(
            plan, url, settings=settings, on_event=on_event, throttle=throttle, log_path=log_path
        )
    )
    trip.forward_again = again()
    if phases is None or not trip.forward_again.ok:
        # A whole-plan trip is undone once more so staging ends as it began; a failed second run is
        # undone as far as it can be, for the same reason.
        trip.final_rollback = back()
    return trip
