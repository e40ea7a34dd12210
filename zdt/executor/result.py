"""What a run returns: per-step outcomes and the migration's status, for the CLI and for callers."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from zdt.executor.state import MigrationStatus, StepStatus


class StepResult(BaseModel):
    step_id: str
    action: str  # apply, resume, skip, rollback
    ok: bool
    status: StepStatus  # the step's status in zdt.steps afterwards
    message: str = ""
    rows: int | None = None
    retries: int = 0
    duration_s: float = 0.0
    database_restored: bool = True  # for a failed step: is the database as before it?


class ExecutionResult(BaseModel):
    migration_id: str
    status: MigrationStatus
    steps: list[StepResult]
    failed_step: str | None = None
    message: str = ""
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.status in (MigrationStatus.DONE, MigrationStatus.PARTIAL)


class RollbackResult(BaseModel):
    migration_id: str
    status: MigrationStatus
    steps: list[StepResult]
    stopped_at: str | None = None
    message: str = ""
    fingerprint_before: str
    fingerprint_after: str | None = None
    log_path: Path

    @property
    def schema_restored(self) -> bool:
        return self.fingerprint_after == self.fingerprint_before

    @property
    def ok(self) -> bool:
        return self.status is MigrationStatus.ROLLED_BACK
