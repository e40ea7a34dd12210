"""After a plan of folder migrations is done, record each in the tool's own history table.

The team keeps using Prisma, Flyway, diesel...: their next ``migrate deploy`` must see what zdt applied
as applied, or it would run it again. So each migration is written to the tool's table the way the tool
writes it (``zdt.migrations.record_applied``), and only once every step of the plan is done: a plan
stopped after expand has not applied any migration yet, as far as the tool is concerned. A file edited
since it was planned is not recorded (its checksum would claim something that did not run), and the
message says so.
"""

from __future__ import annotations

import psycopg

from zdt.executor.result import ExecutionResult
from zdt.migrations import MigrationFolderError, MigrationHistoryError, read_folder, record_applied
from zdt.plan.model import FolderMigration, MigrationPlan


def record_in_history(plan: MigrationPlan, url: str, result: ExecutionResult) -> list[str]:
    """One line per migration of ``plan``: recorded, or why not. Nothing when the plan has none."""
    if not plan.migrations:
        return []
    durations = {step.step_id: step.duration_s for step in result.steps}
    lines: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for planned in plan.migrations:
            lines.append(_record(conn, planned, durations))
    return lines


def _record(conn: psycopg.Connection, planned: FolderMigration, durations: dict[str, float]) -> str:
    where = f"{planned.tool} migration {planned.key} ({planned.path})"
    try:
        folder = read_folder(planned.folder, planned.tool)
    except MigrationFolderError as error:
        return f"{where} not recorded: the folder cannot be read any more: {error}"
    migration = folder.get(planned.key)
    if migration is None:
        return f"{where} not recorded: it is no longer in {planned.folder}"
    if migration.checksum != planned.checksum:
        return f"{where} not recorded: the file changed after it was planned (checksum {migration.checksum})"
    elapsed_ms = round(sum(durations.get(step, 0.0) for step in planned.steps) * 1000)
    try:
        record_applied(conn, folder, migration, execution_ms=elapsed_ms)
    except (MigrationHistoryError, psycopg.Error) as error:
        return f"{where} not recorded in {folder.history_table}: {error}"
    return f"{planned.tool} migration {planned.key} recorded in {folder.history_table}"
