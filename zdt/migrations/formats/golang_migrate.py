"""golang-migrate: ``<version>_<title>.up.sql`` and ``.down.sql``, versions compared as integers.

Its history is one row: ``schema_migrations(version bigint, dirty boolean)`` holds the current version,
and every version at or below it counts as applied. ``dirty`` means a migration started and did not
finish; golang-migrate refuses to run until someone fixes the database and runs ``migrate force``, and
zdt reports it instead of continuing. Recording a version replaces the row (golang-migrate truncates the
table and inserts), so zdt records only the first pending migration: recording a later one would mark
the ones between as applied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.dialects import dialect_of
from zdt.migrations.errors import MigrationHistoryError
from zdt.migrations.formats.base import MigrationFormat, read_sql, require_unique, sql_files
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

# golang-migrate's own file name pattern (source/parse.go), for the .sql extension.
_FILE = re.compile(r"^(?P<version>[0-9]+)_(?P<title>.*)\.(?P<direction>up|down)\.sql$")

CREATE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations"
    " (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
)


class GolangMigrate(MigrationFormat):
    id: ClassVar[str] = "golang-migrate"
    history_table: ClassVar[str] = "schema_migrations"
    history_columns: ClassVar[tuple[str, ...]] = ("version", "dirty")

    def detect(self, folder: Path) -> bool:
        matches = [m for p in sql_files(folder) if (m := _FILE.match(p.name))]
        # Dialect-tagged names (x.postgres.up.sql) are pop's layout, not golang-migrate's; a folder with
        # reverts only (1_a.down.sql beside 1_a.sql) is plain SQL.
        ups = any(m["direction"] == "up" for m in matches)
        return ups and not any(dialect_of(m["title"]) for m in matches)

    def read(self, folder: Path) -> list[Migration]:
        migrations = []
        for path in sql_files(folder):
            match = _FILE.match(path.name)
            if match is None or match["direction"] != "up":
                continue
            _, text = read_sql(path)
            migrations.append(
                Migration(
                    tool=self.id,
                    version=str(int(match["version"])),
                    name=match["title"],
                    path=path,
                    sql=text,
                )
            )
        require_unique(folder, migrations)
        return sorted(migrations, key=lambda m: int(m.key))

    def _current(self, conn: psycopg.Connection) -> int | None:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return None
        row = conn.execute("SELECT version, dirty FROM schema_migrations LIMIT 1").fetchone()
        if row is None:
            return None
        version, dirty = int(row[0]), bool(row[1])
        if dirty:
            raise MigrationHistoryError(
                f"schema_migrations is dirty at version {version}: a golang-migrate run failed halfway;"
                f" fix the database by hand, then `migrate force {version}` (or the version before it)"
            )
        return version

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        current = self._current(conn)
        if current is None:
            return set()
        return {m.key for m in folder.migrations if int(m.key) <= current}

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            current = self._current(conn)
            earlier = [
                m
                for m in folder.migrations
                if int(m.key) < int(migration.key) and (current is None or int(m.key) > current)
            ]
            if earlier:
                raise MigrationHistoryError(
                    f"golang-migrate records one current version: recording {migration.key} would mark"
                    f" {', '.join(m.key for m in earlier)} as applied too; apply those first"
                )
            conn.execute(CREATE)
            conn.execute("TRUNCATE schema_migrations")
            conn.execute(
                "INSERT INTO schema_migrations (version, dirty) VALUES (%s, false)", (int(migration.key),)
            )
