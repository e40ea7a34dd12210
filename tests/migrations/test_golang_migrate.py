"""golang-migrate: integer versions, down files never forward, one current-version row, dirty stops."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import MalformedFolderError, MigrationHistoryError, pending, read_folder, record_applied

# The table as golang-migrate's postgres driver creates it.
GOLANG_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations"
    " (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
)

FILES = {
    "1_init.up.sql": "CREATE TABLE a (id int);",
    "1_init.down.sql": "DROP TABLE a;",
    "2_1.7.0_schema.up.sql": "SELECT 2;",
    "9_nine.up.sql": "SELECT 9;",
    "10_ten.up.sql": "SELECT 10;",
    "10_ten.down.sql": "SELECT -10;",
    "README.md": "docs",
}


def test_detected_and_ordered_by_integer_version(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    assert folder.tool == "golang-migrate"
    assert keys(folder.migrations) == ["1", "2", "9", "10"]
    assert [m.name for m in folder.migrations] == ["init", "1.7.0_schema", "nine", "ten"]
    assert folder.migrations[0].sql == "CREATE TABLE a (id int);"


def test_zero_padded_versions_are_integers(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, {"0001_a.up.sql": "", "0010_b.up.sql": "", "0002_c.up.sql": ""}))
    assert keys(folder.migrations) == ["1", "2", "10"]


def test_two_up_files_of_one_version_are_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"1_a.up.sql": "", "01_b.up.sql": ""})
    with pytest.raises(MalformedFolderError, match=r"01_b.up.sql and 1_a.up.sql have the same version 1"):
        read_folder(tmp_path)


def test_every_version_up_to_the_current_one_is_applied(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute(GOLANG_TABLE)
    conn.execute("INSERT INTO schema_migrations VALUES (9, false)")
    assert keys(pending(folder, conn)) == ["10"]


def test_a_dirty_version_is_reported_not_continued_past(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute(GOLANG_TABLE)
    conn.execute("INSERT INTO schema_migrations VALUES (2, true)")
    with pytest.raises(MigrationHistoryError, match="dirty at version 2"):
        pending(folder, conn)


def test_dbmates_schema_migrations_is_not_golang_migrates(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
    with pytest.raises(MigrationHistoryError, match="not golang-migrate's history table"):
        pending(folder, conn)


def test_record_applied_replaces_the_current_version(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    with pytest.raises(MigrationHistoryError, match="would mark 1, 2 as applied"):
        record_applied(conn, folder, folder.migrations[2], execution_ms=1)
    record_applied(conn, folder, folder.migrations[0], execution_ms=1)
    record_applied(conn, folder, folder.migrations[1], execution_ms=1)
    assert columns(conn, "schema_migrations") == {"version": ("bigint", True), "dirty": ("boolean", True)}
    assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]
    assert keys(pending(folder, conn)) == ["9", "10"]
