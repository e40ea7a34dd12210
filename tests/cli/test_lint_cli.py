"""``zdt lint`` as a user runs it: exit codes, JSON contract, directories, stdin, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from zdt.cli.app import app

runner = CliRunner()
JSON_FIELDS = {
    "index",
    "line",
    "sql",
    "kind",
    "tables",
    "lock",
    "locks",
    "rewrites_table",
    "scans_table",
    "blocks_reads",
    "blocks_writes",
    "transactional",
    "findings",
}


def _flat(text: str) -> str:
    """Rich wraps long lines at the terminal width; compare words, not line breaks."""
    return " ".join(text.split())


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_json_output_is_one_object_with_the_documented_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.sql", "CREATE INDEX posts_a ON posts (a);\n")
    result = runner.invoke(app, ["lint", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["statements"]
    statement = document["statements"][0]
    assert set(statement) >= JSON_FIELDS
    assert statement["lock"] == "ShareLock"
    assert statement["locks"] == [{"relation": "public.posts", "mode": "ShareLock"}]
    assert statement["blocks_writes"] is True and statement["blocks_reads"] is False
    rules = {finding["rule"] for finding in statement["findings"]}
    assert "require-concurrent-index-creation" in rules
    for finding in statement["findings"]:
        assert set(finding) == {"rule", "severity", "message", "fix"}


def test_exit_code_zero_without_error_findings(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.sql", "CREATE TABLE t (id bigint PRIMARY KEY);\n")
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 0, result.output


def test_directory_is_linted_in_order_with_file_names(tmp_path: Path) -> None:
    _write(tmp_path, "migrations/002_index/migration.sql", "CREATE INDEX CONCURRENTLY t_a ON t (a);")
    _write(tmp_path, "migrations/001_init/migration.sql", "CREATE TABLE t (id bigint, a int);")
    result = runner.invoke(app, ["lint", str(tmp_path / "migrations"), "--format", "json"])
    statements = json.loads(result.stdout)["statements"]
    assert [Path(s["file"]).parent.name for s in statements] == ["001_init", "002_index"]
    # The table was created by the first migration: nothing to flag on the second.
    assert result.exit_code == 0


def test_stdin(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "-", "--format", "json"], input="VACUUM posts;")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["statements"][0]["transactional"] is False


def test_unparseable_sql_exits_2_with_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.sql", "SELECT 1;\nALTER TABEL posts ADD x int;\n")
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2:7" in _flat(result.stderr)
    assert 'syntax error at or near "TABEL"' in _flat(result.stderr)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "nope.sql")])
    assert result.exit_code == 2
    assert "no such file or directory" in _flat(result.stderr)


def test_unreachable_database_exits_2_without_leaking_the_password(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.sql", "SELECT 1;")
    url = "postgresql://app:hunter2@127.0.0.1:1/prod"
    result = runner.invoke(app, ["lint", str(path), "--database-url", url])
    assert result.exit_code == 2
    assert "hunter2" not in result.output + result.stderr
    assert "127.0.0.1:1/prod" in _flat(result.stderr)


def test_database_url_brings_sizes_and_catalog_facts(
    tmp_path: Path, conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title varchar(50))")
    conn.execute("INSERT INTO posts SELECT g, 't' FROM generate_series(1, 2000) g")
    conn.execute("ANALYZE posts")
    path = _write(tmp_path, "m.sql", "ALTER TABLE posts ALTER COLUMN title TYPE varchar(100);")
    result = runner.invoke(app, ["lint", str(path), "--format", "json", "--database-url", database_url])
    statement = json.loads(result.stdout)["statements"][0]
    assert statement["rewrites_table"] is False  # varchar(50) -> varchar(100) is binary-coercible
    assert statement["size"]["rows"] == 2000
    assert statement["size"]["table"] == "public.posts"
    text = runner.invoke(app, ["lint", str(path), "--database-url", database_url])
    assert "2,000 rows" in _flat(text.output)


def test_a_table_is_new_only_in_the_file_that_creates_it(tmp_path: Path) -> None:
    """A folder was applied file by file: the second file's plain CREATE INDEX blocks a live table."""
    folder = tmp_path / "migrations"
    _write(folder, "001_init.sql", "CREATE TABLE t (id bigint, a int);\nCREATE INDEX t_id ON t (id);")
    _write(folder, "002_index.sql", "CREATE INDEX t_a ON t (a);")
    result = runner.invoke(app, ["lint", str(folder), "--format", "json"])
    assert result.exit_code == 1, result.output
    flagged = {
        (Path(s["file"]).name, s["line"])
        for s in json.loads(result.stdout)["statements"]
        for finding in s["findings"]
        if finding["rule"] == "require-concurrent-index-creation"
    }
    assert flagged == {("002_index.sql", 1)}  # the index in the creating file stays unflagged


def test_create_table_if_not_exists_of_a_live_table_is_not_a_new_table(
    tmp_path: Path, conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, a int)")
    conn.execute("INSERT INTO posts SELECT g, g FROM generate_series(1, 20000) g")
    conn.execute("ANALYZE posts")
    path = _write(
        tmp_path,
        "m.sql",
        "CREATE TABLE IF NOT EXISTS posts (id bigint PRIMARY KEY, a int);\n"
        "CREATE INDEX posts_a ON posts (a);\n"
        "ALTER TABLE posts ALTER COLUMN a SET NOT NULL;\n",
    )
    result = runner.invoke(app, ["lint", str(path), "--database-url", database_url, "--format", "json"])
    assert result.exit_code == 1, result.output
    statements = json.loads(result.stdout)["statements"]
    rules = [{finding["rule"] for finding in s["findings"]} for s in statements]
    assert "require-concurrent-index-creation" in rules[1]
    assert "setting-not-null" in rules[2]


def test_create_table_if_not_exists_after_an_earlier_file_created_it(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    _write(folder, "001.sql", "CREATE TABLE t (id bigint, a int);")
    _write(folder, "002.sql", "CREATE TABLE IF NOT EXISTS t (id bigint, a int);\nCREATE INDEX t_a ON t (a);")
    result = runner.invoke(app, ["lint", str(folder), "--format", "json"])
    assert result.exit_code == 1, result.output
    last = json.loads(result.stdout)["statements"][-1]
    assert "require-concurrent-index-creation" in {finding["rule"] for finding in last["findings"]}


def test_a_folder_is_linted_the_way_its_tool_applies_it(tmp_path: Path) -> None:
    """Down migrations are never run forward; a dbmate up section keeps its line numbers in the file."""
    folder = tmp_path / "db"
    _write(folder, "1_init.up.sql", "CREATE TABLE t (id bigint, a int);\n")
    _write(folder, "1_init.down.sql", "DROP TABLE t;\n")
    _write(folder, "2_index.up.sql", "\n\nCREATE INDEX t_a ON t (a);\n")
    _write(folder, "2_index.down.sql", "DROP INDEX t_a;\n")
    result = runner.invoke(app, ["lint", str(folder), "--format", "json"])
    statements = json.loads(result.stdout)["statements"]
    assert [(Path(s["file"]).name, s["line"]) for s in statements] == [
        ("1_init.up.sql", 1),
        ("2_index.up.sql", 3),
    ]
    assert result.exit_code == 1  # the index of a live table, from the second migration


def test_a_dbmate_file_is_linted_from_its_up_section(tmp_path: Path) -> None:
    folder = tmp_path / "db" / "migrations"
    _write(
        folder,
        "20240101000000_posts.sql",
        "-- migrate:up\nCREATE TABLE posts (id bigint);\n\nCREATE INDEX posts_id ON posts (id);\n\n"
        "-- migrate:down\nDROP TABLE posts;\n",
    )
    result = runner.invoke(app, ["lint", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    statements = json.loads(result.stdout)["statements"]
    assert [(s["kind"], s["line"]) for s in statements] == [("CreateStmt", 2), ("IndexStmt", 4)]
