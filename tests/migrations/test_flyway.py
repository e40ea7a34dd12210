"""Flyway: numeric version order, repeatables last, undo files never, and Flyway's own history table."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import columns, keys, tree
from zdt.migrations import MalformedFolderError, MigrationHistoryError, pending, read_folder, record_applied

# The table as Flyway creates it on PostgreSQL (createMetaDataTable.sql).
FLYWAY_TABLE = [
    """
    CREATE TABLE "flyway_schema_history" (
        "installed_rank" INT NOT NULL,
        "version" VARCHAR(50),
        "description" VARCHAR(200) NOT NULL,
        "type" VARCHAR(20) NOT NULL,
        "script" VARCHAR(1000) NOT NULL,
        "checksum" INTEGER,
        "installed_by" VARCHAR(100) NOT NULL,
        "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
        "execution_time" INTEGER NOT NULL,
        "success" BOOLEAN NOT NULL
    )
    """,
    'ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk"'
    ' PRIMARY KEY ("installed_rank")',
    'CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")',
]


def _crc(text: str) -> int:
    """Flyway's checksum by another route: CRC32 (a gzip trailer's) of the text without line breaks."""
    data = text.removeprefix("\ufeff").replace("\r", "").replace("\n", "").encode()
    (signed,) = struct.unpack("<i", gzip.compress(data)[-8:-4])
    return int(signed)


FILES = {
    "V1__init.sql": "CREATE TABLE a (id int);\n",
    "V1_9__nine.sql": "SELECT 9;\n",
    "V1_10__ten.sql": "SELECT 10;\n",
    "V2__two.sql": "SELECT 2;\n",
    "V9__v9.sql": "SELECT 'v9';\n",
    "V10__v10.sql": "SELECT 'v10';\n",
    "V1.2.1__dotted.sql": "SELECT 121;\n",
    "R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1;\n",
    "R__a_functions.sql": "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    "U2__two.sql": "SELECT 'undo';\n",
    "README.md": "not a migration\n",
}


def _insert(
    conn: psycopg.Connection, rank: int, version: str | None, description: str, script: str, **kw: object
) -> None:
    conn.execute(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
        " installed_by, execution_time, success) VALUES (%s, %s, %s, %s, %s, %s, 'flyway', 3, %s)",
        (
            rank,
            version,
            description,
            kw.get("type", "SQL"),
            script,
            kw.get("checksum"),
            kw.get("success", True),
        ),
    )


def test_versions_compare_as_integers_and_repeatables_come_last(tmp_path: Path) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    assert folder.tool == "flyway"
    assert keys(folder.migrations) == [
        "1", "1.2.1", "1.9", "1.10", "2", "9", "10", "R:a functions", "R:views",
    ]  # fmt: skip
    ten = folder.migrations[3]
    assert (ten.version, ten.name, ten.path.name) == ("1.10", "ten", "V1_10__ten.sql")
    assert ten.checksum == _crc("SELECT 10;\n")
    assert folder.migrations[-1].repeatable and folder.migrations[-1].version is None
    assert all(not m.path.name.startswith("U") for m in folder.migrations)


def test_two_files_of_one_version_are_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"V1__a.sql": "SELECT 1;", "V1_0__b.sql": "SELECT 2;"})
    with pytest.raises(MalformedFolderError, match=r"V1_0__b.sql and V1__a.sql have the same version 1"):
        read_folder(tmp_path)


def test_pending_reads_flyways_rows(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    for statement in FLYWAY_TABLE:
        conn.execute(statement)
    _insert(conn, 1, "1", "init", "V1__init.sql", checksum=_crc(FILES["V1__init.sql"]))
    _insert(conn, 2, "1.2.1", "dotted", "V1.2.1__dotted.sql", checksum=_crc(FILES["V1.2.1__dotted.sql"]))
    _insert(conn, 3, None, "views", "R__views.sql", checksum=_crc(FILES["R__views.sql"]))
    _insert(conn, 4, None, "a functions", "R__a_functions.sql", checksum=12345)  # since edited
    assert keys(pending(folder, conn)) == ["1.9", "1.10", "2", "9", "10", "R:a functions"]


def test_a_baseline_covers_the_versions_below_it(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    for statement in FLYWAY_TABLE:
        conn.execute(statement)
    _insert(conn, 1, "2", "<< Flyway Baseline >>", "<< Flyway Baseline >>", type="BASELINE")
    assert keys(pending(folder, conn)) == ["9", "10", "R:a functions", "R:views"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, "1", "init", "V1__init.sql", {"success": False})], "failed"),
        ([(1, "1", "init", "V1__init.sql", {"checksum": 42})], "checksum mismatch for version 1"),
        ([(1, "2", "two", "V2__two.sql", {"checksum": _crc(FILES["V2__two.sql"])})], "out-of-order"),
    ],
)
def test_histories_flyway_would_stop_at(
    tmp_path: Path,
    conn: psycopg.Connection,
    rows: list[tuple[int, str, str, str, dict[str, object]]],
    message: str,
) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    for statement in FLYWAY_TABLE:
        conn.execute(statement)
    for rank, version, description, script, extra in rows:
        _insert(conn, rank, version, description, script, **extra)
    with pytest.raises(MigrationHistoryError, match=message):
        pending(folder, conn)


def test_record_applied_appends_rows_flyway_recognises(tmp_path: Path, conn: psycopg.Connection) -> None:
    folder = read_folder(tree(tmp_path, FILES))
    for migration in folder.migrations[:2]:
        record_applied(conn, folder, migration, execution_ms=7)
    assert columns(conn, "flyway_schema_history") == {
        "installed_rank": ("integer", True),
        "version": ("character varying(50)", False),
        "description": ("character varying(200)", True),
        "type": ("character varying(20)", True),
        "script": ("character varying(1000)", True),
        "checksum": ("integer", False),
        "installed_by": ("character varying(100)", True),
        "installed_on": ("timestamp without time zone", True),
        "execution_time": ("integer", True),
        "success": ("boolean", True),
    }
    rows = conn.execute(
        "SELECT installed_rank, version, description, type, script, checksum, installed_by = current_user,"
        " execution_time, success FROM flyway_schema_history ORDER BY installed_rank"
    ).fetchall()
    assert rows == [
        (1, "1", "init", "SQL", "V1__init.sql", _crc(FILES["V1__init.sql"]), True, 7, True),
        (2, "1.2.1", "dotted", "SQL", "V1.2.1__dotted.sql", _crc(FILES["V1.2.1__dotted.sql"]), True, 7, True),
    ]
    assert keys(pending(folder, conn))[0] == "1.9"


def test_an_edited_repeatable_is_pending_again_and_recorded_again(
    tmp_path: Path, conn: psycopg.Connection
) -> None:
    tree(tmp_path, {"V1__init.sql": "SELECT 1;", "R__views.sql": "CREATE VIEW v AS SELECT 1;"})
    folder = read_folder(tmp_path)
    for migration in folder.migrations:
        record_applied(conn, folder, migration, execution_ms=1)
    assert pending(folder, conn) == []
    tree(tmp_path, {"R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 2;"})
    edited = read_folder(tmp_path)
    assert keys(pending(edited, conn)) == ["R:views"]
    record_applied(conn, edited, edited.migrations[-1], execution_ms=1)
    assert pending(edited, conn) == []
    rows = conn.execute(
        "SELECT installed_rank, version, checksum FROM flyway_schema_history ORDER BY 1"
    ).fetchall()
    assert [(rank, version) for rank, version, _ in rows] == [(1, "1"), (2, None), (3, None)]
    assert rows[2][2] == _crc("CREATE OR REPLACE VIEW v AS SELECT 2;")
