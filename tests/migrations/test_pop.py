"""pop/popx (ory/kratos): postgres-tagged and untagged files only, the postgres one winning a version."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import MalformedFolderError, pending, read_folder, record_applied

# The table as ory/x popx creates it (createTransactionalMigrationTable).
POP_TABLE = [
    "CREATE TABLE schema_migration (version VARCHAR (48) NOT NULL, version_self INT NOT NULL DEFAULT 0)",
    "CREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version)",
    "CREATE INDEX schema_migration_version_self_idx ON schema_migration (version_self)",
]

FILES = {
    "20150100000001000000_networks.postgres.up.sql": "CREATE TABLE networks (id uuid);",
    "20150100000001000000_networks.postgres.down.sql": "DROP TABLE networks;",
    "20150100000001000000_networks.mysql.up.sql": "CREATE TABLE networks (id char(36));",
    "20150100000001000000_networks.sqlite3.up.sql": "CREATE TABLE networks (id TEXT);",
    "20150100000001000000_networks.cockroach.up.sql": "CREATE TABLE networks (id UUID);",
    "20220420102701000000_identity_metadata.up.sql": "ALTER TABLE identities ADD COLUMN metadata jsonb;",
    "20220420102701000000_identity_metadata.down.sql": "ALTER TABLE identities DROP COLUMN metadata;",
    "20220420102701000001_mysql_only.mysql.up.sql": "SELECT 'mysql';",
    "20230101000000000000_both.up.sql": "SELECT 'generic';",
    "20230101000000000000_both.postgres.up.sql": "SELECT 'postgres';",
    "20241029153900000001_identities.autocommit.up.sql": "CREATE INDEX CONCURRENTLY i ON identities (id);",
    "20260616000000000000_list_index.postgres.autocommit.up.sql": "CREATE INDEX CONCURRENTLY j ON m (id);",
}


def test_only_postgres_and_untagged_files_in_version_order(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    assert folder.tool == "pop"
    assert keys(folder.migrations) == [
        "20150100000001000000",
        "20220420102701000000",
        "20230101000000000000",
        "20241029153900000001",
        "20260616000000000000",
    ]
    by_key = {m.key: m for m in folder.migrations}
    assert by_key["20150100000001000000"].sql == "CREATE TABLE networks (id uuid);"
    assert by_key["20230101000000000000"].sql == "SELECT 'postgres';"
    assert [m.transaction for m in folder.migrations] == [True, True, True, False, False]


def test_two_postgres_files_of_one_version_are_refused(tmp_path: Path) -> None:
    tree(tmp_path, {**FILES, "20150100000001000000_other.postgres.up.sql": "SELECT 1;"})
    with pytest.raises(MalformedFolderError, match="have the same version 20150100000001000000"):
        read_folder(tmp_path)


def test_pending_counts_legacy_14_character_versions(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    for statement in POP_TABLE:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migration (version) VALUES ('20150100000001'), ('20230101000000000000')")
    assert keys(pending(folder, conn)) == [
        "20220420102701000000",
        "20241029153900000001",
        "20260616000000000000",
    ]


def test_record_applied_creates_popxs_table(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    record_applied(conn, folder, folder.migrations[0], execution_ms=5)
    assert columns(conn, "schema_migration") == {
        "version": ("character varying(48)", True),
        "version_self": ("integer", True),
    }
    indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'schema_migration' ORDER BY 1")
    assert [name for (name,) in indexes] == [
        "schema_migration_version_idx",
        "schema_migration_version_self_idx",
    ]
    assert keys(pending(folder, conn))[0] == "20220420102701000000"
