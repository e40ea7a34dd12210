"""Plain SQL: every ``*.sql`` file of a folder that no tool claims, in natural order.

Natural order compares the numbers in names as numbers, so ``10_x.sql`` follows ``9_x.sql`` (and
``2.sql`` follows ``1.sql``). ``*.down.sql`` files are reverts and never applied forward; files tagged
for another database (``x.mysql.sql``) are skipped. Alembic's offline output (``alembic upgrade
--sql``) is plain SQL for zdt's purposes: a folder of such files reads with this format.

There is no tool, hence no tool's history: zdt keeps its own, ``zdt.applied_migrations``, keyed by the
file name without ``.sql``, with the SHA-256 of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.checksums import sha256_hex
from zdt.migrations.dialects import for_postgres
from zdt.migrations.formats.base import MigrationFormat, read_sql, sql_files
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder
from zdt.migrations.ordering import natural_key

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

CREATE = [
    "CREATE SCHEMA IF NOT EXISTS zdt",
    """
    CREATE TABLE IF NOT EXISTS zdt.applied_migrations (
        version      text PRIMARY KEY,
        checksum     text NOT NULL,
        execution_ms integer NOT NULL,
        applied_by   text NOT NULL DEFAULT current_user,
        applied_at   timestamptz NOT NULL DEFAULT now()
    )
    """,
]


class PlainSql(MigrationFormat):
    id: ClassVar[str] = "plain"
    history_table: ClassVar[str] = "zdt.applied_migrations"
    history_columns: ClassVar[tuple[str, ...]] = (
        "version",
        "checksum",
        "execution_ms",
        "applied_by",
        "applied_at",
    )

    def detect(self, folder: Path) -> bool:
        return bool(self._files(folder))

    def _files(self, folder: Path) -> list[Path]:
        return [
            p
            for p in sql_files(folder)
            if not p.name.endswith(".down.sql")
            and for_postgres(p.name.removesuffix(".sql").removesuffix(".up"))
        ]

    def read(self, folder: Path) -> list[Migration]:
        migrations = []
        for path in sorted(self._files(folder), key=lambda p: (natural_key(p.name), p.name)):
            data, text = read_sql(path)
            version = path.name.removesuffix(".sql")
            migrations.append(
                Migration(
                    tool=self.id,
                    version=version,
                    name=version,
                    path=path,
                    sql=text,
                    checksum=sha256_hex(data),
                )
            )
        return migrations

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, "zdt"):
            return set()
        return {str(v) for (v,) in conn.execute("SELECT version FROM zdt.applied_migrations").fetchall()}

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            check_shape(conn, self.history_table, self.history_columns, "zdt")
            for statement in CREATE:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO zdt.applied_migrations (version, checksum, execution_ms) VALUES (%s, %s, %s)",
                (migration.version, migration.checksum, execution_ms),
            )
