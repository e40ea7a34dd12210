"""Checksums computed the way each tool computes them, so the rows zdt writes match the tool's own.

* Prisma: SHA-256 of the ``migration.sql`` bytes, lowercase hex (prisma-engines ``checksum.rs``).
* Flyway: ``java.util.zip.CRC32`` fed each line of the file without its terminator (Java's
  ``BufferedReader.readLine`` splits on ``\\n``, ``\\r`` and ``\\r\\n``), the UTF-8 BOM stripped from the
  first line, stored as the signed 32-bit ``int`` Java's ``(int) crc.getValue()`` gives.
"""

from __future__ import annotations

import hashlib
import zlib

BOM = "\ufeff"


def sha256_hex(data: bytes) -> str:
    """Prisma's checksum (and zdt's own): SHA-256 of the exact bytes, 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def java_lines(text: str) -> list[str]:
    """The lines ``BufferedReader.readLine`` returns: split on LF, CR and CRLF only (not ``\\v``, U+2028)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":  # readLine returns no empty line after a final terminator
        lines.pop()
    return lines


def flyway_checksum(data: bytes) -> int:
    """Flyway's checksum of a SQL file's bytes (read as UTF-8, Flyway's default encoding)."""
    text = data.decode("utf-8", errors="replace")
    crc = 0
    for number, line in enumerate(java_lines(text)):
        crc = zlib.crc32((line.removeprefix(BOM) if number == 0 else line).encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc
