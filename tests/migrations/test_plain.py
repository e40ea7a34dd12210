"""Plain SQL: natural order (numbers as numbers), down files and other dialects skipped, zdt's own history."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import pending, read_folder, record_applied


def test_numbers_in_names_compare_as_numbers(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "9_x.sql": "SELECT 9;",
            "10_x.sql": "SELECT 10;",
            "2_b.sql": "SELECT 2;",
            "1_a.sql": "SELECT 1;",
            "1_a.down.sql": "SELECT -1;",
            "3_c.mysql.sql": "SELECT 'mysql';",
            "3_c.postgres.sql": "SELECT 'postgres';",
            "notes.txt": "",
        },
    )
    folder = read_folder(tmp_path)
    assert folder.tool == "plain"
    assert keys(folder.migrations) == ["1_a", "2_b", "3_c.postgres", "9_x", "10_x"]
    assert folder.migrations[0].checksum == hashlib.sha256(b"SELECT 1;").hexdigest()


def test_pending_and_record_applied_use_zdts_table(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, {"001_init.sql": "SELECT 1;", "002_more.sql": "SELECT 2;"}))
    assert keys(pending(folder, conn)) == ["001_init", "002_more"]
    record_applied(conn, folder, folder.migrations[0], execution_ms=12)
    assert keys(pending(folder, conn)) == ["002_more"]
    assert set(columns(conn, "zdt.applied_migrations")) == {
        "version",
        "checksum",
        "execution_ms",
        "applied_by",
        "applied_at",
    }
    row = conn.execute("SELECT version, checksum, execution_ms FROM zdt.applied_migrations").fetchone()
    assert row == ("001_init", hashlib.sha256(b"SELECT 1;").hexdigest(), 12)
