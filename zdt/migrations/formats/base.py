"""The one interface every tool's format implements: detect, read in order, applied versions, record.

A format knows one tool's folder layout and history table and nothing else; ``zdt.migrations.folder``
chooses the format and asks it. Reading never touches a database and never parses SQL: the order comes
from file and directory names, and the forward part of a file from the tool's own markers (dbmate's
``-- migrate:up`` line) or file names (``.up.sql``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.checksums import BOM
from zdt.migrations.errors import MalformedFolderError
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg


class MigrationFormat(ABC):
    """One migration tool's folder layout and history table."""

    id: ClassVar[str]
    """The tool's name as users say it: ``prisma``, ``flyway``, ``golang-migrate``, ``dbmate`` ..."""
    history_table: ClassVar[str]
    history_columns: ClassVar[tuple[str, ...]]

    @abstractmethod
    def detect(self, folder: Path) -> bool:
        """Whether the folder is laid out the way this tool lays out its migrations."""

    @abstractmethod
    def read(self, folder: Path) -> list[Migration]:
        """The folder's forward migrations in the order the tool applies them.

        Raises :class:`MalformedFolderError` where the tool itself would refuse the folder.
        """

    @abstractmethod
    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        """The :attr:`Migration.key` of every migration of ``folder`` the tool would not apply again.

        An absent history table means nothing is applied; a history the tool would stop at (dirty,
        failed, edited) raises :class:`MigrationHistoryError`.
        """

    @abstractmethod
    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        """Write the history row(s) the tool writes after applying ``migration``, creating the table
        the way the tool creates it if it is missing."""


def read_sql(path: Path) -> tuple[bytes, str]:
    """A file's bytes (for checksums) and its text without a leading BOM (for running)."""
    data = path.read_bytes()
    return data, data.decode("utf-8", errors="replace").removeprefix(BOM)


def sql_files(folder: Path) -> list[Path]:
    """The ``*.sql`` files directly in ``folder``, sorted by name (as Go's ``os.ReadDir`` returns them)."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.name.endswith(".sql")), key=lambda p: p.name
    )


def subdirectories(folder: Path) -> list[Path]:
    """The directories directly in ``folder`` (hidden ones skipped), sorted by name."""
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name
    )


def require_unique(folder: Path, migrations: Iterable[Migration]) -> None:
    """Refuse two migrations of one version: the tool would, and it could not tell which ran."""
    seen: dict[str, Path] = {}
    for migration in migrations:
        earlier = seen.setdefault(migration.key, migration.path)
        if earlier != migration.path:
            raise MalformedFolderError(
                folder,
                f"{earlier.relative_to(folder)} and {migration.path.relative_to(folder)} have the same"
                f" version {migration.key}",
            )
