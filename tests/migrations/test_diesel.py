"""diesel: versions are directory names without dashes, up.sql only, diesel's own history table."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import MalformedFolderError, pending, read_folder, record_applied

# The table as diesel_migrations creates it.
DIESEL_TABLE = """
CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""

FILES = {
    "00000000000000_diesel_initial_setup/up.sql": "SELECT 'setup';",
    "00000000000000_diesel_initial_setup/down.sql": "SELECT 'undo setup';",
    "2019-02-26-002946_create_user/up.sql": "CREATE TABLE users (id int);",
    "2019-02-26-002946_create_user/down.sql": "DROP TABLE users;",
    "2019-02-27-170003_create_community/up.sql": "CREATE TABLE community (id int);",
    "2024-02-12-120203_remove_unused_index/up.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;",
    "2024-02-12-120203_remove_unused_index/metadata.toml": "run_in_transaction = false\n",
    "README.md": "how we migrate",
    "data_oauth.sql": "-- a data file beside the migrations, not one of them",
}


def test_versions_are_the_directory_names_without_dashes(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    assert folder.tool == "diesel"
    assert keys(folder.migrations) == ["00000000000000", "20190226002946", "20190227170003", "20240212120203"]
    assert folder.migrations[1].name == "create_user"
    assert folder.migrations[1].sql == "CREATE TABLE users (id int);"
    assert [m.transaction for m in folder.migrations] == [True, True, True, False]


def test_a_directory_without_up_sql_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {**FILES, "2019-03-01-000000_broken/down.sql": "SELECT 1;"})
    with pytest.raises(MalformedFolderError, match=r"2019-03-01-000000_broken/ has no up\.sql"):
        read_folder(tmp_path, tool="diesel")


def test_two_directories_of_one_version_are_refused(tmp_path: Path) -> None:
    tree(tmp_path, {**FILES, "20190226002946_same/up.sql": "SELECT 1;"})
    with pytest.raises(MalformedFolderError, match="have the same version 20190226002946"):
        read_folder(tmp_path)


def test_pending_and_record_applied(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    conn.execute(DIESEL_TABLE)
    conn.execute(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20190226002946')"
    )
    assert keys(pending(folder, conn)) == ["20190227170003", "20240212120203"]
    record_applied(conn, folder, folder.migrations[2], execution_ms=5)
    assert keys(pending(folder, conn)) == ["20240212120203"]


def test_record_applied_creates_diesels_table(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    record_applied(conn, folder, folder.migrations[0], execution_ms=5)
    assert columns(conn, "__diesel_schema_migrations") == {
        "version": ("character varying(50)", True),
        "run_on": ("timestamp without time zone", True),
    }
    assert conn.execute("SELECT version, run_on IS NOT NULL FROM __diesel_schema_migrations").fetchall() == [
        ("00000000000000", True)
    ]
