"""The executor: applies a checked plan to a live database step by step, verified, resumable, reversible.

Public API::

    apply_plan(plan, url, *, phases=None, settings=None, on_event=None, throttle=None, log_path=...)
        -> ExecutionResult
    rollback_migration(plan, url, *, settings=None, on_event=None, throttle=None, log_path=...)
        -> RollbackResult
    migration_status(url) -> list[MigrationRecord]

Observers (the CLI's progress bar, a monitor, a session recorder) receive ``ExecutionEvent``s through
``on_event``; a monitor slows the executor down through ``throttle``. Neither needs executor changes.
"""

from zdt.executor.apply import apply_plan
from zdt.executor.errors import (
    ExecutorBusy,
    ExecutorError,
    MigrationNotFound,
    PhaseOrderError,
    PlanMismatch,
    SchemaDrift,
)
from zdt.executor.events import EventCallback, EventKind, ExecutionEvent, Throttle
from zdt.executor.migration_log import DEFAULT_LOG_PATH, LOG_NAME
from zdt.executor.result import ExecutionResult, RollbackResult, StepResult
from zdt.executor.rollback import rollback_migration
from zdt.executor.settings import ExecutorSettings
from zdt.executor.state import MigrationStatus, StepStatus
from zdt.executor.status import BackfillRecord, MigrationRecord, StepRecord, migration_status

__all__ = [
    "DEFAULT_LOG_PATH",
    "LOG_NAME",
    "BackfillRecord",
    "EventCallback",
    "EventKind",
    "ExecutionEvent",
    "ExecutionResult",
    "ExecutorBusy",
    "ExecutorError",
    "ExecutorSettings",
    "MigrationNotFound",
    "MigrationRecord",
    "MigrationStatus",
    "PhaseOrderError",
    "PlanMismatch",
    "RollbackResult",
    "SchemaDrift",
    "StepRecord",
    "StepResult",
    "StepStatus",
    "Throttle",
    "apply_plan",
    "migration_status",
    "rollback_migration",
]
