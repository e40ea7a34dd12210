"""diesel: ``<dir>/<version>_<name>/up.sql`` (and ``down.sql``, never applied forward).

The version is the directory name before its first ``_`` with every ``-`` removed
(``2019-02-26-002946_create_user`` → ``20190226002946``), as diesel_migrations computes it, and diesel
runs the migrations in version order (compared as strings). A directory without ``up.sql`` is refused;
files beside the directories (a README) are ignored, as diesel ignores them. ``metadata.toml`` with
``run_in_transaction = false`` marks a migration diesel runs outside a transaction.

History: ``__diesel_schema_migrations(version varchar(50) PRIMARY KEY, run_on timestamp)``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.errors import MalformedFolderError
from zdt.migrations.formats.base import MigrationFormat, read_sql, require_unique, subdirectories
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

UP = "up.sql"
METADATA = "metadata.toml"

CREATE = """
CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


def diesel_version(directory_name: str) -> str:
    """``2019-02-26-002946_create_user`` → ``20190226002946``."""
    return directory_name.partition("_")[0].replace("-", "")


def _run_in_transaction(folder: Path, directory: Path) -> bool:
    metadata = directory / METADATA
    if not metadata.is_file():
        return True
    try:
        value = tomllib.loads(metadata.read_text(encoding="utf-8")).get("run_in_transaction", True)
    except tomllib.TOMLDecodeError as error:
        raise MalformedFolderError(folder, f"{directory.name}/{METADATA}: {error}") from None
    return value is not False


class Diesel(MigrationFormat):
    id: ClassVar[str] = "diesel"
    history_table: ClassVar[str] = "__diesel_schema_migrations"
    history_columns: ClassVar[tuple[str, ...]] = ("version", "run_on")

    def detect(self, folder: Path) -> bool:
        return any((d / UP).is_file() for d in subdirectories(folder))

    def read(self, folder: Path) -> list[Migration]:
        migrations = []
        for directory in subdirectories(folder):
            script = directory / UP
            if not script.is_file():
                raise MalformedFolderError(folder, f"{directory.name}/ has no {UP}, which diesel requires")
            _, text = read_sql(script)
            migrations.append(
                Migration(
                    tool=self.id,
                    version=diesel_version(directory.name),
                    name=directory.name.partition("_")[2],
                    path=script,
                    sql=text,
                    transaction=_run_in_transaction(folder, directory),
                )
            )
        require_unique(folder, migrations)
        return sorted(migrations, key=lambda m: m.key)

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return set()
        return {str(v) for (v,) in conn.execute("SELECT version FROM __diesel_schema_migrations").fetchall()}

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            check_shape(conn, self.history_table, self.history_columns, self.id)
            conn.execute(CREATE)
            conn.execute("INSERT INTO __diesel_schema_migrations (version) VALUES (%s)", (migration.version,))
