"""A migrations folder as the planner's input: its pending migrations, in the tool's order.

``zdt plan DIR`` reads the folder the way its tool does (``zdt.migrations``). With a database, what its
history table says is applied is left out; without one, every migration is planned (as for a new
database). Each planned migration is carried in the plan, so that ``zdt apply`` can record it in the
tool's history once the plan is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from zdt.migrations import Migration, MigrationFolder, pending, read_folder
from zdt.plan.model import FolderMigration


@dataclass(frozen=True)
class FolderInput:
    folder: MigrationFolder
    migrations: list[Migration]
    applied: int  # migrations the database's history already has

    @property
    def sources(self) -> list[tuple[str, str]]:
        return [(str(migration.path), migration.sql) for migration in self.migrations]

    @property
    def planned(self) -> list[FolderMigration]:
        return [
            FolderMigration(
                folder=str(self.folder.path),
                tool=self.folder.tool,
                key=migration.key,
                name=migration.name,
                path=str(migration.path),
                checksum=migration.checksum,
            )
            for migration in self.migrations
        ]

    def summary(self) -> str:
        kind = f"{self.folder.tool} folder {self.folder.path}"
        done = f", {self.applied} already applied" if self.applied else ""
        return f"{kind}: {len(self.migrations)} pending of {len(self.folder.migrations)}{done}"


def read_folder_input(path: Path, database_url: str | None, tool: str | None) -> FolderInput:
    """The folder's migrations still to apply to ``database_url`` (all of them without a database).

    Raises MigrationFolderError / MigrationHistoryError (folder or history problems, named) and
    psycopg.Error (unreachable database).
    """
    folder = read_folder(path, tool)
    if database_url is None:
        return FolderInput(folder, list(folder.migrations), 0)
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        todo = pending(folder, conn)
    return FolderInput(folder, todo, len(folder.migrations) - len(todo))
