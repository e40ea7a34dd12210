"""The one way recipes build an index on a live table: CONCURRENTLY, verified valid, dropped on failure.

A concurrent build takes ShareUpdateExclusiveLock (reads and writes go on) and cannot run in a
transaction block. When it fails it leaves an INVALID index behind that still costs every write, so
the same ``DROP INDEX CONCURRENTLY IF EXISTS`` is both the failure cleanup and the rollback. Three
recipes build indexes (create-index, add-unique-using-index and the column moves); they differ only in
the statement, the step's name and what the description says.
"""

from __future__ import annotations

from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Timeouts, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import PlanningContext, ident, render


def concurrent_index_step(
    context: PlanningContext,
    *,
    suffix: str,
    phase: Phase,
    index: str,
    table: str,
    create_sql: str,
    description: str,
    recipe: str,
    timeouts: Timeouts | None = None,
) -> Step:
    """A step running ``create_sql`` (a CREATE INDEX CONCURRENTLY of ``index``, qualified) on ``table``."""
    drop = render("DROP INDEX CONCURRENTLY IF EXISTS {i}", i=ident(index))
    return context.step(
        suffix,
        phase=phase,
        description=description,
        sql=[create_sql],
        transactional=False,
        verify=Verification(sql=checks.index_valid(index), description=f"{index} is valid"),
        rollback=Rollback(sql=[drop], transactional=False),
        on_failure_sql=[drop],
        lock=LockMode.SHARE_UPDATE_EXCLUSIVE,
        lock_duration=LockDuration.NONE,
        tables=[table],
        timeouts=timeouts or context.settings.timeouts(),
        recipe=recipe,
    )
