"""gobuffalo/pop and ory/x popx (ory/kratos, hydra, keto): ``<version>_<name>[.<dialect>].up.sql``.

Folders hold every database's version side by side (``x.postgres.up.sql``, ``x.mysql.up.sql``,
``x.sqlite3.up.sql``, ``x.cockroach.up.sql``, untagged ``x.up.sql`` for all of them). For PostgreSQL
popx takes, per version, the ``postgres`` file if there is one and the untagged file otherwise, and
runs them in version order (compared as strings). ``.autocommit`` files run outside a transaction.
Down files are never applied forward.

History: ``schema_migration(version varchar(48) NOT NULL, version_self int NOT NULL DEFAULT 0)`` with a
unique index on ``version``. A version longer than 14 characters also counts as applied when its first
14 characters are recorded (rows written by pop before popx's longer versions), as popx checks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.dialects import POSTGRES, canonical_dialect
from zdt.migrations.errors import MalformedFolderError
from zdt.migrations.formats.base import MigrationFormat, read_sql, require_unique, sql_files
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

# popx's file name pattern (popx/match.go), for .sql files.
_FILE = re.compile(
    r"^(?P<version>\d+)_(?P<name>[^.]+)(?:\.(?P<dialect>[a-z0-9]+))?(?P<autocommit>\.autocommit)?"
    r"\.(?P<direction>up|down)\.sql$"
)
LEGACY_VERSION_LENGTH = 14
AUTOCOMMIT = "autocommit"

CREATE = [
    "CREATE TABLE schema_migration (version VARCHAR (48) NOT NULL, version_self INT NOT NULL DEFAULT 0)",
    "CREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version)",
    "CREATE INDEX schema_migration_version_self_idx ON schema_migration (version_self)",
]


class Pop(MigrationFormat):
    id: ClassVar[str] = "pop"
    history_table: ClassVar[str] = "schema_migration"
    history_columns: ClassVar[tuple[str, ...]] = ("version", "version_self")

    def detect(self, folder: Path) -> bool:
        return any(
            (m := _FILE.match(p.name)) and m["dialect"] and canonical_dialect(m["dialect"])
            for p in sql_files(folder)
        )

    def read(self, folder: Path) -> list[Migration]:
        specific: list[Migration] = []
        generic: list[Migration] = []
        for path in sql_files(folder):
            match = _FILE.match(path.name)
            if match is None or match["direction"] != "up":
                continue
            tag, autocommit = match["dialect"], bool(match["autocommit"])
            if tag == AUTOCOMMIT:  # x.autocommit.up.sql: the flag, on an untagged file
                tag, autocommit = None, True
            dialect = canonical_dialect(tag) if tag else None
            if tag and dialect is None:
                raise MalformedFolderError(folder, f"{path.name}: unsupported dialect {match['dialect']!r}")
            if dialect not in (None, POSTGRES):
                continue
            _, text = read_sql(path)
            migration = Migration(
                tool=self.id,
                version=match["version"],
                name=match["name"],
                path=path,
                sql=text,
                transaction=not autocommit,
            )
            (generic if dialect is None else specific).append(migration)
        require_unique(folder, specific)
        require_unique(folder, generic)
        chosen = {m.key: m for m in generic} | {m.key: m for m in specific}
        return [chosen[key] for key in sorted(chosen)]

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return set()
        recorded = {str(v) for (v,) in conn.execute("SELECT version FROM schema_migration").fetchall()}
        return {
            m.key
            for m in folder.migrations
            if m.key in recorded
            or (len(m.key) > LEGACY_VERSION_LENGTH and m.key[:LEGACY_VERSION_LENGTH] in recorded)
        }

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            if not check_shape(conn, self.history_table, self.history_columns, self.id):
                for statement in CREATE:
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migration (version) VALUES (%s)", (migration.version,))
