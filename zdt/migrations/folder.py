"""The entry points: read a folder, ask a database what of it is pending, record what zdt applied.

``read_folder`` chooses the tool from the folder's layout unless told; a folder two tools could claim
is refused rather than guessed at. ``pending`` and ``record_applied`` go through the tool's own history
table, so the team's tool sees zdt's runs as its own and keeps working.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from zdt.migrations.errors import UndetectedFolderError
from zdt.migrations.formats import FALLBACK, FORMATS, MigrationFormat, format_named
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg


def detect_tool(path: Path) -> str:
    """The tool whose layout ``path`` has; :class:`UndetectedFolderError` when none or several do."""
    if not path.is_dir():
        raise UndetectedFolderError(path, "not a directory")
    claims = [f.id for f in FORMATS if f is not FALLBACK and f.detect(path)]
    if len(claims) > 1:
        raise UndetectedFolderError(
            path, f"laid out for more than one tool ({', '.join(claims)}); name the tool explicitly"
        )
    if claims:
        return claims[0]
    if FALLBACK.detect(path):
        return FALLBACK.id
    raise UndetectedFolderError(
        path,
        "no migrations found: no *.sql files and no Prisma or diesel migration directories",
    )


def read_folder(path: Path | str, tool: str | None = None) -> MigrationFolder:
    """Read the migrations of ``path`` in the order ``tool`` (detected when None) applies them."""
    folder = Path(path)
    if not folder.is_dir():
        raise UndetectedFolderError(folder, "not a directory")
    chosen = format_named(tool if tool is not None else detect_tool(folder))
    return MigrationFolder(
        path=folder,
        tool=chosen.id,
        migrations=tuple(chosen.read(folder)),
        history_table=chosen.history_table,
    )


def _format(folder: MigrationFolder) -> MigrationFormat:
    return format_named(folder.tool)


def pending(folder: MigrationFolder, conn: psycopg.Connection) -> list[Migration]:
    """The folder's migrations the tool would apply next on this database, in order."""
    done = _format(folder).applied(conn, folder)
    return [m for m in folder.migrations if m.key not in done]


def record_applied(
    conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
) -> None:
    """Record ``migration`` as applied in the tool's history table, as the tool records it.

    The migration must belong to ``folder`` and be pending; the row is written in one transaction (a
    savepoint when the caller has one open, so it can commit with the migration itself).
    """
    if folder.get(migration.key) != migration:
        raise ValueError(f"{migration.path} is not a migration of {folder.path}")
    if migration not in pending(folder, conn):
        raise ValueError(f"{migration} of {folder.path} is already recorded in {folder.history_table}")
    _format(folder).record(conn, folder, migration, execution_ms=execution_ms)
