"""Migration plans: phased, verified, reversible steps, checked before anything runs."""

from zdt.plan.model import (
    Backfill,
    LockDuration,
    MigrationPlan,
    Phase,
    Rollback,
    Step,
    Timeouts,
    Verification,
)

__all__ = [
    "Backfill",
    "LockDuration",
    "MigrationPlan",
    "Phase",
    "Rollback",
    "Step",
    "Timeouts",
    "Verification",
]
