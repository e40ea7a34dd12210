"""dbmate: ``<version>_<name>.sql`` files with ``-- migrate:up`` and ``-- migrate:down`` sections.

Only the up section is the migration. The sections are found by dbmate's marker comments, looked for
line by line (a line that starts with ``--`` followed by ``migrate:up``), never by reading the SQL; the
options after the marker (``-- migrate:up transaction:false``) are kept. dbmate refuses a file without
an up marker and one with statements before its first marker, and so does zdt.

History: ``schema_migrations(version varchar(128) PRIMARY KEY)``, one row per applied version, in any
order (dbmate applies every version missing from the table). golang-migrate's table has the same name
but a ``dirty`` column; the column check tells them apart.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from zdt.migrations.errors import MalformedFolderError
from zdt.migrations.formats.base import MigrationFormat, read_sql, require_unique, sql_files
from zdt.migrations.history import check_shape
from zdt.migrations.model import Migration, MigrationFolder

if TYPE_CHECKING:  # connections are passed in: reading a folder needs no driver
    import psycopg

# dbmate's own file name pattern (pkg/dbmate migrationFileRegexp): the leading digits are the version.
_FILE = re.compile(r"^(?P<version>[0-9]+)(?P<rest>.*)\.sql$")

UP = "migrate:up"
DOWN = "migrate:down"

CREATE = "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)"


def _marker(line: str) -> tuple[str, dict[str, str]] | None:
    """``-- migrate:up transaction:false`` → ``("migrate:up", {"transaction": "false"})``; else None."""
    if not line.startswith("--"):
        return None
    words = line[2:].split()
    if not words or words[0] not in (UP, DOWN):
        return None
    options = dict(word.partition(":")[::2] for word in words[1:])
    return words[0], options


def split_sections(text: str) -> tuple[str, dict[str, str]] | str:
    """The up section's text and options, or a description of why dbmate would refuse the file."""
    lines = text.splitlines(keepends=True)
    markers = [(number, found) for number, line in enumerate(lines) if (found := _marker(line))]
    ups = [(number, options) for number, (kind, options) in markers if kind == UP]
    if not ups:
        return f"no '-- {UP}' line, which dbmate requires"
    first = markers[0][0]
    if any(line.strip() and not line.lstrip().startswith("--") for line in lines[:first]):
        return f"statements before the first '-- {UP}' or '-- {DOWN}' line, which dbmate refuses"
    start, options = ups[0]
    end = next((number for number, (kind, _) in markers if kind == DOWN and number > start), len(lines))
    return "".join(lines[start + 1 : end]), options


class Dbmate(MigrationFormat):
    id: ClassVar[str] = "dbmate"
    history_table: ClassVar[str] = "schema_migrations"
    history_columns: ClassVar[tuple[str, ...]] = ("version",)

    def detect(self, folder: Path) -> bool:
        for path in sql_files(folder):
            if _FILE.match(path.name) and any(
                (m := _marker(line)) and m[0] == UP for line in read_sql(path)[1].splitlines()
            ):
                return True
        return False

    def read(self, folder: Path) -> list[Migration]:
        migrations = []
        for path in sql_files(folder):
            match = _FILE.match(path.name)
            if match is None:
                continue
            _, text = read_sql(path)
            sections = split_sections(text)
            if isinstance(sections, str):
                raise MalformedFolderError(folder, f"{path.name}: {sections}")
            up, options = sections
            migrations.append(
                Migration(
                    tool=self.id,
                    version=match["version"],
                    name=match["rest"].lstrip("_-"),
                    path=path,
                    sql=up,
                    transaction=options.get("transaction", "true").lower() != "false",
                )
            )
        require_unique(folder, migrations)
        return migrations

    def applied(self, conn: psycopg.Connection, folder: MigrationFolder) -> set[str]:
        if not check_shape(conn, self.history_table, self.history_columns, self.id):
            return set()
        return {str(v) for (v,) in conn.execute("SELECT version FROM schema_migrations").fetchall()}

    def record(
        self, conn: psycopg.Connection, folder: MigrationFolder, migration: Migration, *, execution_ms: int
    ) -> None:
        with conn.transaction():
            check_shape(conn, self.history_table, self.history_columns, self.id)
            conn.execute(CREATE)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (migration.version,))
