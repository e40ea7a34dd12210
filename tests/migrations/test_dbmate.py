"""dbmate: the up section only (found by its marker lines), transaction:false kept, one row per version."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import MalformedFolderError, MigrationHistoryError, pending, read_folder, record_applied

# The table as dbmate's postgres driver creates it.
DBMATE_TABLE = "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)"

FILES = {
    "20240101000000_init.sql": "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n",
    "20240102000000_index.sql": (
        "-- a comment first is fine\n-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY i ON a (id);\n"
        "-- migrate:down\nDROP INDEX i;\n"
    ),
    "20240103000000_down_first.sql": "-- migrate:down\nSELECT 'down';\n-- migrate:up\nSELECT 'up';\n",
}


def test_detected_with_only_the_up_sections(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    assert folder.tool == "dbmate"
    assert keys(folder.migrations) == ["20240101000000", "20240102000000", "20240103000000"]
    init, index, down_first = folder.migrations
    assert (init.name, init.sql, init.transaction) == ("init", "CREATE TABLE a (id int);\n\n", True)
    assert (index.sql, index.transaction) == ("CREATE INDEX CONCURRENTLY i ON a (id);\n", False)
    assert down_first.sql == "SELECT 'up';\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("CREATE TABLE a (id int);\n-- migrate:down\n", "no '-- migrate:up' line"),
        ("SELECT 1;\n-- migrate:up\nSELECT 2;\n", "statements before the first"),
    ],
)
def test_files_dbmate_refuses_are_refused(tmp_path: Path, content: str, message: str) -> None:
    tree(tmp_path, {**FILES, "20240104000000_bad.sql": content})
    with pytest.raises(MalformedFolderError, match=f"20240104000000_bad.sql: {message}"):
        read_folder(tmp_path, tool="dbmate")


def test_two_files_of_one_version_are_refused(tmp_path: Path) -> None:
    tree(tmp_path, {**FILES, "20240101000000_again.sql": "-- migrate:up\nSELECT 1;\n"})
    with pytest.raises(MalformedFolderError, match="have the same version 20240101000000"):
        read_folder(tmp_path)


def test_pending_is_every_version_missing_from_the_table(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute(DBMATE_TABLE)
    conn.execute("INSERT INTO schema_migrations (version) VALUES ('20240102000000')")
    assert keys(pending(folder, conn)) == ["20240101000000", "20240103000000"]


def test_golang_migrates_schema_migrations_is_not_dbmates(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute(
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
    )
    with pytest.raises(MigrationHistoryError, match="not dbmate's history table"):
        pending(folder, conn)
    with pytest.raises(MigrationHistoryError, match="not dbmate's history table"):
        record_applied(conn, folder, folder.migrations[0], execution_ms=1)


def test_record_applied_inserts_the_version(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    record_applied(conn, folder, folder.migrations[1], execution_ms=1)
    assert columns(conn, "schema_migrations") == {"version": ("character varying(128)", True)}
    assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [("20240102000000",)]
    assert keys(pending(folder, conn)) == ["20240101000000", "20240103000000"]
