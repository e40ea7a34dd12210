"""Checksums as the tools compute them, checked against values computed another way."""

from __future__ import annotations

import gzip
import hashlib
import struct

from zdt.migrations.checksums import flyway_checksum, java_lines, sha256_hex


def _crc32_by_gzip(data: bytes) -> int:
    """CRC32 as the gzip trailer carries it (little-endian, after the deflate stream), read as Java's int."""
    (signed,) = struct.unpack("<i", gzip.compress(data)[-8:-4])
    return int(signed)


def test_prisma_checksum_is_the_sha256_hex_of_the_bytes() -> None:
    data = b"CREATE TABLE users (id bigint PRIMARY KEY);\n"
    # printf 'CREATE TABLE users (id bigint PRIMARY KEY);\n' | sha256sum
    assert sha256_hex(data) == "3456c330330e5584db1ea42d855fe843569a61c7c200bd34b52f8f9c03b28f0d"
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_flyway_checksum_is_crc32_of_the_lines_without_terminators_or_bom() -> None:
    data = "\ufeffCREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n".encode()
    expected = _crc32_by_gzip(b"CREATE TABLE a (id int);CREATE TABLE b (id int);")
    assert expected == -956080171
    assert flyway_checksum(data) == expected


def test_flyway_checksum_ignores_line_endings_but_not_content() -> None:
    unix = b"SELECT 1;\nSELECT 2;\n"
    assert (
        flyway_checksum(unix)
        == flyway_checksum(b"SELECT 1;\r\nSELECT 2;")
        == flyway_checksum(b"SELECT 1;\rSELECT 2;")
    )
    assert flyway_checksum(unix) != flyway_checksum(b"SELECT 1;\nSELECT 3;\n")
    assert flyway_checksum(unix) == _crc32_by_gzip(b"SELECT 1;SELECT 2;")


def test_flyway_checksum_is_a_signed_32_bit_int() -> None:
    values = [flyway_checksum(f"SELECT {n};".encode()) for n in range(50)]
    assert all(-(2**31) <= v < 2**31 for v in values)
    assert any(v < 0 for v in values)


def test_java_lines_split_only_where_readline_does() -> None:
    assert java_lines("a\nb\r\nc\rd\n") == ["a", "b", "c", "d"]
    assert java_lines("a\u2028b\x0bc") == ["a\u2028b\x0bc"]
    assert java_lines("a\n\nb") == ["a", "", "b"]
