"""Migration folders as input: the folders teams already have, read the way their tool reads them.

zdt takes a team's migration folder (Prisma, Flyway, golang-migrate, dbmate, diesel, pop/popx, or plain
``*.sql``), applies what is pending with its own planning and rehearsal, and records each migration in
the tool's history table exactly as the tool would, so the team keeps using its tool afterwards. SQL is
never parsed here: order comes from names, the forward part from the tool's markers.

API (for the CLI)::

    from zdt.migrations import read_folder, pending, record_applied

    folder = read_folder(path, tool=None)      # -> MigrationFolder; tool one of TOOLS, None: detect
    for migration in pending(folder, conn):    # -> list[Migration], in the tool's order
        ...apply migration.sql (migration.transaction says whether the tool would wrap it)...
        record_applied(conn, folder, migration, execution_ms=elapsed_ms)

* ``MigrationFolder``: ``path``, ``tool``, ``migrations`` (tuple, apply order), ``history_table``.
* ``Migration``: ``tool``, ``version`` (as the tool records it; ``None`` for Flyway repeatables),
  ``name``, ``path``, ``sql`` (the forward part only), ``checksum`` (as the tool computes it),
  ``repeatable``, ``transaction``, ``key`` (unique in the folder).
* Errors: ``UndetectedFolderError`` (no tool or several claim the folder), ``MalformedFolderError``
  (the tool would refuse the folder: two files of one version, a Prisma directory without
  ``migration.sql``), both ``MigrationFolderError`` naming the folder; ``MigrationHistoryError`` when the
  history says stop (golang-migrate dirty, Prisma or Flyway failed rows, an edited Flyway migration, a
  table of another tool's shape).

``conn`` is a psycopg connection; ``record_applied`` writes in a transaction of its own (a savepoint
inside the caller's), creating the history table the way the tool does when it is missing.
"""

from zdt.migrations.errors import (
    MalformedFolderError,
    MigrationFolderError,
    MigrationHistoryError,
    UndetectedFolderError,
)
from zdt.migrations.folder import detect_tool, pending, read_folder, record_applied
from zdt.migrations.formats import TOOLS
from zdt.migrations.model import Migration, MigrationFolder

__all__ = [
    "TOOLS",
    "MalformedFolderError",
    "Migration",
    "MigrationFolder",
    "MigrationFolderError",
    "MigrationHistoryError",
    "UndetectedFolderError",
    "detect_tool",
    "pending",
    "read_folder",
    "record_applied",
]
