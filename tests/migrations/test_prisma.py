"""Prisma: directories in name order, _prisma_migrations read and written as Prisma does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import (
    MalformedFolderError,
    MigrationHistoryError,
    pending,
    read_folder,
    record_applied,
)

# The table as `prisma migrate deploy` creates it on PostgreSQL (prisma-engines, postgres flavour).
PRISMA_TABLE = """
CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)
"""

INIT = "CREATE TABLE users (id bigint PRIMARY KEY);\n"


def _folder(root: Path) -> Path:
    return tree(
        root,
        {
            "migration_lock.toml": 'provider = "postgresql"\n',
            "20240101000000_init/migration.sql": INIT,
            "20240102000000_posts/migration.sql": "CREATE TABLE posts (id bigint);\n",
            "20240110000000_tags/migration.sql": "CREATE TABLE tags (id bigint);\n",
        },
    )


def test_detected_and_ordered_by_directory_name(tmp_path: Path) -> None:
    folder = read_folder(_folder(tmp_path))
    assert folder.tool == "prisma"
    assert keys(folder.migrations) == ["20240101000000_init", "20240102000000_posts", "20240110000000_tags"]
    first = folder.migrations[0]
    assert first.name == "init"
    assert first.sql == INIT
    assert first.checksum == hashlib.sha256(INIT.encode()).hexdigest()
    assert first.checksum == "3456c330330e5584db1ea42d855fe843569a61c7c200bd34b52f8f9c03b28f0d"


def test_a_directory_without_migration_sql_is_refused(tmp_path: Path) -> None:
    _folder(tmp_path)
    (tmp_path / "20240103000000_empty").mkdir()
    with pytest.raises(MalformedFolderError, match=r"20240103000000_empty/ has no migration.sql") as error:
        read_folder(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_pending_reads_prismas_rows(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(_folder(tmp_path))
    conn.execute(PRISMA_TABLE)
    conn.execute(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)"
        " VALUES (gen_random_uuid(), %s, now(), '20240101000000_init', 1)",
        (folder.migrations[0].checksum,),
    )
    # Rolled back: Prisma applies it again.
    conn.execute(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, rolled_back_at, migration_name)"
        " VALUES (gen_random_uuid(), 'x', NULL, now(), '20240102000000_posts')"
    )
    assert keys(pending(folder, conn)) == ["20240102000000_posts", "20240110000000_tags"]


def test_a_failed_migration_stops_as_prisma_does(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(_folder(tmp_path))
    conn.execute(PRISMA_TABLE)
    conn.execute(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES (gen_random_uuid(), 'x', %s)",
        ("20240101000000_init",),
    )
    with pytest.raises(MigrationHistoryError, match=r"20240101000000_init.*P3009"):
        pending(folder, conn)


def test_record_applied_writes_a_row_prisma_recognises(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(_folder(tmp_path))
    record_applied(conn, folder, folder.migrations[0], execution_ms=1500)
    assert columns(conn, "_prisma_migrations") == {
        "id": ("character varying(36)", True),
        "checksum": ("character varying(64)", True),
        "finished_at": ("timestamp with time zone", False),
        "migration_name": ("character varying(255)", True),
        "logs": ("text", False),
        "rolled_back_at": ("timestamp with time zone", False),
        "started_at": ("timestamp with time zone", True),
        "applied_steps_count": ("integer", True),
    }
    row = conn.execute(
        "SELECT id::uuid IS NOT NULL, checksum, migration_name, finished_at - started_at, logs,"
        " rolled_back_at,"
        " applied_steps_count FROM _prisma_migrations"
    ).fetchone()
    assert row is not None
    assert row[0] is True
    assert row[1:3] == (hashlib.sha256(INIT.encode()).hexdigest(), "20240101000000_init")
    assert row[3].total_seconds() == pytest.approx(1.5, abs=0.1)
    assert row[4:] == (None, None, 1)
    assert keys(pending(folder, conn)) == ["20240102000000_posts", "20240110000000_tags"]
    with pytest.raises(ValueError, match="already recorded"):
        record_applied(conn, folder, folder.migrations[0], execution_ms=1)
