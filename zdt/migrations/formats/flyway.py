"""Flyway: ``V<version>__<description>.sql``, ``R__<description>.sql``, ``U<version>__...`` undo files.

Order, as Flyway resolves it: versioned migrations by version, the parts (split on ``.`` or ``_``)
compared as integers, so ``V1_10`` follows ``V1_9`` and ``V10`` follows ``V9``, and ``1.0`` is ``1``;
then repeatables in description order. Undo (``U``) files are never applied forward. The location is
scanned recursively, as Flyway scans it.

History: ``flyway_schema_history``, one row per run, with Flyway's CRC32 checksum (see
``zdt.migrations.checksums``). A versioned migration is applied when a successful row has its version
or a ``BASELINE`` row has a version at or above it. A repeatable is applied when its latest successful
row carries the file's current checksum: an edited repeatable is pending again, and re-applying it
appends a row. Where Flyway's ``migrate`` (with its default validation) would stop, zdt stops: a failed
row, an applied file whose checksum changed, or an unapplied version below the highest applied one
(Flyway's default refuses out-of-order migrations).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.checksums import flyway_checksum
from zdt.migrations.errors import MalformedFolderError, MigrationHistoryError
from zdt.migrations.formats.base import MigrationFormat, read_sql, require_unique, sql_files
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder
from zdt.migrations.ordering import numeric_parts

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

_VERSIONED = re.compile(r"^V(?P<version>[0-9][0-9._]*?)__(?P<description>.*)\.sql$")
_REPEATABLE = re.compile(r"^R__(?P<description>.+)\.sql$")
_UNDO = re.compile(r"^U[0-9][0-9._]*__.*\.sql$")

CREATE = [
    """
    CREATE TABLE flyway_schema_history (
        installed_rank INT NOT NULL,
        version VARCHAR(50),
        description VARCHAR(200) NOT NULL,
        type VARCHAR(20) NOT NULL,
        script VARCHAR(1000) NOT NULL,
        checksum INTEGER,
        installed_by VARCHAR(100) NOT NULL,
        installed_on TIMESTAMP NOT NULL DEFAULT now(),
        execution_time INTEGER NOT NULL,
        success BOOLEAN NOT NULL
    )
    """,
    "ALTER TABLE flyway_schema_history ADD CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)",
    "CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success)",
]


def _description(raw: str) -> str:
    """Flyway shows ``add_users_table`` as ``add users table``."""
    return raw.replace("_", " ")


def _version_key(version: str) -> tuple[int, ...]:
    return numeric_parts(version)


class Flyway(MigrationFormat):
    id: ClassVar[str] = "flyway"
    history_table: ClassVar[str] = "flyway_schema_history"
    history_columns: ClassVar[tuple[str, ...]] = (
        "installed_rank",
        "version",
        "description",
        "type",
        "script",
        "checksum",
        "installed_by",
        "installed_on",
        "execution_time",
        "success",
    )

    def detect(self, folder: Path) -> bool:
        # Only the folder's own files: a repository root holding a Flyway location deep inside is not one.
        return any(_VERSIONED.match(p.name) or _REPEATABLE.match(p.name) for p in sql_files(folder))

    def read(self, folder: Path) -> list[Migration]:
        versioned: list[tuple[tuple[int, ...], Migration]] = []
        repeatable: list[Migration] = []
        for path in sorted(folder.rglob("*.sql")):
            if _UNDO.match(path.name):
                continue
            data, text = read_sql(path)
            if match := _VERSIONED.match(path.name):
                raw = match["version"]
                try:
                    key = _version_key(raw)
                except ValueError:
                    raise MalformedFolderError(
                        folder, f"{path.name}: {raw!r} is not a Flyway version"
                    ) from None
                migration = Migration(
                    tool=self.id,
                    version=raw.replace("_", "."),
                    name=_description(match["description"]),
                    path=path,
                    sql=text,
                    checksum=flyway_checksum(data),
                )
                versioned.append((key, migration))
            elif match := _REPEATABLE.match(path.name):
                repeatable.append(
                    Migration(
                        tool=self.id,
                        version=None,
                        name=_description(match["description"]),
                        path=path,
                        sql=text,
                        checksum=flyway_checksum(data),
                        repeatable=True,
                    )
                )
        seen: dict[tuple[int, ...], Path] = {}
        for key, migration in versioned:
            earlier = seen.setdefault(key, migration.path)
            if earlier != migration.path:
                raise MalformedFolderError(
                    folder,
                    f"{earlier.relative_to(folder)} and {migration.path.relative_to(folder)} have the same"
                    f" version {migration.version}",
                )
        require_unique(folder, repeatable)
        versioned.sort(key=lambda pair: pair[0])
        return [m for _, m in versioned] + sorted(repeatable, key=lambda m: m.name)

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return set()
        rows = conn.execute(
            "SELECT version, description, type, script, checksum, success FROM flyway_schema_history"
            " ORDER BY installed_rank"
        ).fetchall()
        failed = [
            f"{script} ({version or description})"
            for version, description, _, script, _, ok in rows
            if not ok
        ]
        if failed:
            raise MigrationHistoryError(
                f"flyway_schema_history records failed migrations: {', '.join(failed)}; Flyway refuses to"
                " migrate until `flyway repair` removes them"
            )
        by_version: dict[tuple[int, ...], int | None] = {}
        baseline: tuple[int, ...] | None = None
        latest_repeatable: dict[str, int | None] = {}
        for version, description, kind, _, checksum, _ in rows:
            if version is None:
                if kind != "SCHEMA":
                    latest_repeatable[str(description)] = checksum
                continue
            key = _version_key(str(version))
            if kind == "BASELINE":
                baseline = key if baseline is None else max(baseline, key)
            elif kind != "DELETE":
                by_version[key] = checksum
        highest = max([*by_version, *([baseline] if baseline else [])], default=None)
        done: set[str] = set()
        for migration in folder.migrations:
            if migration.repeatable:
                if (
                    migration.name in latest_repeatable
                    and latest_repeatable[migration.name] == migration.checksum
                ):
                    done.add(migration.key)
                continue
            assert migration.version is not None
            key = _version_key(migration.version)
            if key in by_version:
                if by_version[key] != migration.checksum:
                    raise MigrationHistoryError(
                        f"flyway_schema_history: checksum mismatch for version {migration.version}"
                        f" ({migration.path.name}): applied {by_version[key]}, file {migration.checksum};"
                        " Flyway's validation refuses to migrate"
                    )
                done.add(migration.key)
            elif baseline is not None and key <= baseline:
                done.add(migration.key)
            elif highest is not None and key < highest:
                raise MigrationHistoryError(
                    f"{migration.path.name} (version {migration.version}) is not applied but a higher version"
                    " is; Flyway refuses out-of-order migrations unless outOfOrder is set"
                )
        return done

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            if not check_shape(conn, self.history_table, self.history_columns, self.id):
                for statement in CREATE:
                    conn.execute(statement)
            conn.execute("LOCK TABLE flyway_schema_history IN SHARE ROW EXCLUSIVE MODE")
            conn.execute(
                "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                " checksum, installed_by, execution_time, success)"
                " SELECT coalesce(max(installed_rank), 0) + 1, %s, %s, 'SQL', %s, %s, current_user, %s, true"
                " FROM flyway_schema_history",
                (
                    migration.version,
                    migration.name[:200],
                    migration.path.relative_to(folder.path).as_posix(),
                    migration.checksum,
                    execution_ms,
                ),
            )
