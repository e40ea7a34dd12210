"""Detection, the one list of formats, and the errors that name the folder."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import psycopg
import pytest

from tests.migrations.trees import tree
from zdt.migrations import (
    TOOLS,
    MigrationFolderError,
    UndetectedFolderError,
    detect_tool,
    formats,
    read_folder,
    record_applied,
)


def test_every_format_module_is_listed_once() -> None:
    modules = {info.name for info in pkgutil.iter_modules(formats.__path__)} - {"base"}
    listed = {type(f).__module__.rsplit(".", 1)[1] for f in formats.FORMATS}
    assert listed == modules
    assert len(set(TOOLS)) == len(TOOLS)
    assert TOOLS[-1] == "plain"


@pytest.mark.parametrize(
    ("files", "tool"),
    [
        ({"20240101_init/migration.sql": "", "migration_lock.toml": ""}, "prisma"),
        ({"2019-02-26-002946_create_user/up.sql": ""}, "diesel"),
        ({"V1__init.sql": "", "V2__more.sql": ""}, "flyway"),
        ({"R__views.sql": ""}, "flyway"),
        ({"1_init.postgres.up.sql": "", "1_init.mysql.up.sql": ""}, "pop"),
        ({"1_init.up.sql": "", "1_init.down.sql": ""}, "golang-migrate"),
        ({"20240101_init.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\n"}, "dbmate"),
        ({"1_init.sql": "SELECT 1;"}, "plain"),
    ],
)
def test_detection(tmp_path: Path, files: dict[str, str], tool: str) -> None:
    assert detect_tool(tree(tmp_path, files)) == tool


def test_an_empty_folder_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(UndetectedFolderError, match="no migrations found") as error:
        read_folder(tmp_path)
    assert error.value.folder == tmp_path
    assert str(tmp_path) in str(error.value)


def test_a_missing_folder_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(UndetectedFolderError, match=f"{tmp_path / 'nope'}: not a directory"):
        read_folder(tmp_path / "nope")


def test_a_folder_two_tools_claim_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"V1__init.sql": "", "20240101000000_init/migration.sql": ""})
    with pytest.raises(UndetectedFolderError, match=r"more than one tool \(prisma, flyway\)"):
        read_folder(tmp_path)
    assert read_folder(tmp_path, tool="flyway").tool == "flyway"


def test_errors_are_value_errors_naming_the_folder(tmp_path: Path) -> None:
    assert issubclass(MigrationFolderError, ValueError)
    with pytest.raises(ValueError, match="unknown migration tool 'liquibase'"):
        read_folder(tree(tmp_path, {"1.sql": ""}), tool="liquibase")


def test_record_applied_refuses_a_migration_of_another_folder(
    tmp_path: Path, conn: psycopg.Connection
) -> None:
    one = read_folder(tree(tmp_path / "one", {"1.sql": "SELECT 1;"}))
    two = read_folder(tree(tmp_path / "two", {"1.sql": "SELECT 1;"}))
    with pytest.raises(ValueError, match="is not a migration of"):
        record_applied(conn, one, two.migrations[0], execution_ms=1)
