"""Prisma Migrate: ``<dir>/<timestamp>_<name>/migration.sql`` beside ``migration_lock.toml``.

Prisma applies the directories in name order and records each in ``_prisma_migrations`` with the
SHA-256 of ``migration.sql``. A row counts as applied when ``finished_at`` is set and ``rolled_back_at``
is not; a row that started but neither finished nor was rolled back is a failed migration, which
``prisma migrate deploy`` refuses to continue past (P3009), and so does zdt.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.checksums import sha256_hex
from zdt.migrations.errors import MalformedFolderError, MigrationHistoryError
from zdt.migrations.formats.base import MigrationFormat, read_sql, subdirectories
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

SCRIPT = "migration.sql"
LOCK_FILE = "migration_lock.toml"

CREATE = """
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                  VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum            VARCHAR(64) NOT NULL,
    finished_at         TIMESTAMPTZ,
    migration_name      VARCHAR(255) NOT NULL,
    logs                TEXT,
    rolled_back_at      TIMESTAMPTZ,
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count INTEGER NOT NULL DEFAULT 0
)
"""


class Prisma(MigrationFormat):
    id: ClassVar[str] = "prisma"
    history_table: ClassVar[str] = "_prisma_migrations"
    history_columns: ClassVar[tuple[str, ...]] = (
        "id",
        "checksum",
        "finished_at",
        "migration_name",
        "logs",
        "rolled_back_at",
        "started_at",
        "applied_steps_count",
    )

    def detect(self, folder: Path) -> bool:
        return (folder / LOCK_FILE).is_file() or any((d / SCRIPT).is_file() for d in subdirectories(folder))

    def read(self, folder: Path) -> list[Migration]:
        migrations = []
        for directory in subdirectories(folder):
            script = directory / SCRIPT
            if not script.is_file():
                raise MalformedFolderError(
                    folder, f"{directory.name}/ has no {SCRIPT}, which Prisma requires"
                )
            data, text = read_sql(script)
            migrations.append(
                Migration(
                    tool=self.id,
                    version=directory.name,
                    name=directory.name.partition("_")[2] or directory.name,
                    path=script,
                    sql=text,
                    checksum=sha256_hex(data),
                )
            )
        return migrations

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return set()
        rows = conn.execute(
            "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL"
            " FROM _prisma_migrations"
        ).fetchall()
        failed = sorted(name for name, finished, rolled_back in rows if not finished and not rolled_back)
        if failed:
            raise MigrationHistoryError(
                f"_prisma_migrations records failed migrations: {', '.join(failed)}; Prisma refuses to"
                " continue (P3009) until they are resolved with `prisma migrate resolve`"
            )
        return {str(name) for name, finished, rolled_back in rows if finished and not rolled_back}

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            conn.execute(CREATE)
            conn.execute(
                "INSERT INTO _prisma_migrations"
                " (id, checksum, started_at, finished_at, migration_name, applied_steps_count)"
                " VALUES (%s, %s, now() - make_interval(secs => %s), now(), %s, 1)",
                (str(uuid.uuid4()), migration.checksum, execution_ms / 1000, migration.version),
            )
