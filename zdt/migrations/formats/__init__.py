"""Every migration tool zdt reads, listed in one place: one module per tool, one class per module.

``FORMATS`` is in detection order; ``plain`` comes last because it claims any folder of ``*.sql``
files, and is used only when no tool does. Adding a tool means adding its module and its entry here
(tests/migrations/test_formats.py checks that every module is listed).
"""

from __future__ import annotations

from zdt.migrations.formats.base import MigrationFormat
from zdt.migrations.formats.dbmate import Dbmate
from zdt.migrations.formats.diesel import Diesel
from zdt.migrations.formats.flyway import Flyway
from zdt.migrations.formats.golang_migrate import GolangMigrate
from zdt.migrations.formats.plain import PlainSql
from zdt.migrations.formats.pop import Pop
from zdt.migrations.formats.prisma import Prisma

FORMATS: tuple[MigrationFormat, ...] = (
    Prisma(),
    Diesel(),
    Flyway(),
    Pop(),
    GolangMigrate(),
    Dbmate(),
    PlainSql(),
)
FALLBACK = FORMATS[-1]
TOOLS: tuple[str, ...] = tuple(f.id for f in FORMATS)


def format_named(tool: str) -> MigrationFormat:
    """The format of the tool called ``tool``; ``ValueError`` listing the known tools otherwise."""
    for candidate in FORMATS:
        if candidate.id == tool:
            return candidate
    raise ValueError(f"unknown migration tool {tool!r}; zdt reads {', '.join(TOOLS)}")


__all__ = ["FALLBACK", "FORMATS", "TOOLS", "MigrationFormat", "format_named"]
