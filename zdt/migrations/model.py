"""What a migration folder holds, tool-independently: the migrations in the order their tool applies them.

A :class:`Migration` is one forward step as its tool sees it (a Prisma directory, a Flyway ``V`` or ``R``
file, the up half of a dbmate file); the down halves are never part of the model, because zdt only ever
applies a folder forward and leaves reverting to the team's tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Migration:
    """One forward migration of a folder.

    ``version`` is the tool's own identifier, spelled as the tool writes it into its history table
    (Flyway ``1.10`` for ``V1_10__x.sql``, diesel ``20190226002946`` for ``2019-02-26-002946_x``); it
    is ``None`` only for Flyway repeatables, which are identified by their description instead.
    ``checksum`` is computed exactly as the tool computes it (an ``int`` for Flyway's CRC32, a hex
    string for Prisma and zdt's own table, ``None`` for tools that keep no checksum), so that a row
    zdt writes is indistinguishable from one the tool wrote.
    """

    tool: str
    version: str | None
    name: str
    path: Path
    sql: str
    checksum: int | str | None = None
    repeatable: bool = False
    transaction: bool = True
    """False when the folder says the tool must run it outside a transaction (dbmate
    ``-- migrate:up transaction:false``, diesel ``run_in_transaction = false``, pop ``.autocommit``)."""

    @property
    def key(self) -> str:
        """Unique within a folder: the version, or ``R:<description>`` for a repeatable."""
        return self.version if self.version is not None else f"R:{self.name}"

    def __str__(self) -> str:
        return self.path.name if self.version is None else f"{self.version} {self.name}".rstrip()


@dataclass(frozen=True)
class MigrationFolder:
    """A folder read by one tool's rules: where it is, which tool, and its migrations in apply order."""

    path: Path
    tool: str
    migrations: tuple[Migration, ...]
    history_table: str
    """The table the tool keeps its history in (``_prisma_migrations``, ``zdt.applied_migrations`` ...)."""

    def get(self, key: str) -> Migration | None:
        """The migration with this :attr:`Migration.key`, if the folder has it."""
        return next((m for m in self.migrations if m.key == key), None)
