"""``zdt lint --changed-since REF`` in a real git repository, and several FILE arguments."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zdt.cli.app import app

runner = CliRunner()
CONCURRENT = "require-concurrent-index-creation"
# 001 has an error of its own (an index on a live table it did not create) and creates t.
LOCK_TIMEOUT = "SET lock_timeout = '1s';\n"
INIT = LOCK_TIMEOUT + "CREATE TABLE t (id bigint PRIMARY KEY, a int);\nCREATE INDEX posts_a ON posts (a);\n"
# Known from 001, t is no new table: IF NOT EXISTS is a no-op and the plain index blocks its writes.
INDEX = (
    LOCK_TIMEOUT
    + "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, a int);\nCREATE INDEX t_a ON t (a);\n"
)


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=zdt", "-c", "user.email=zdt@example.invalid", "-c", "commit.gpgsign=false"]
    result = subprocess.run(
        ["git", "-C", str(repo), *identity, *args], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with migrations/001.sql committed and migrations/002.sql added, not committed."""
    _git(tmp_path, "init", "-q", "-b", "main")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001.sql").write_text(INIT)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "001")
    (migrations / "002.sql").write_text(INDEX)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _flagged(stdout: str) -> list[tuple[str, int, str]]:
    return [
        (Path(s["file"]).name, s["line"], finding["rule"])
        for s in json.loads(stdout)["statements"]
        for finding in s["findings"]
    ]


def test_only_the_untracked_file_is_reported_with_the_earlier_one_as_context(repo: Path) -> None:
    result = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD", "--format", "json"])
    assert result.exit_code == 1, result.output
    statements = json.loads(result.stdout)["statements"]
    assert {Path(s["file"]).name for s in statements} == {"002.sql"}
    assert _flagged(result.stdout) == [("002.sql", 3, CONCURRENT)]
    # Without 001 as context, 002's CREATE TABLE IF NOT EXISTS would create t and the index be fine.
    alone = runner.invoke(app, ["lint", "migrations/002.sql", "--format", "json"])
    assert alone.exit_code == 0 and _flagged(alone.stdout) == []


def test_a_plain_index_on_a_table_of_an_earlier_file_is_a_finding(repo: Path) -> None:
    (repo / "migrations" / "002.sql").write_text(LOCK_TIMEOUT + "CREATE INDEX t_a ON t (a);\n")
    result = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD", "--format", "github"])
    assert result.exit_code == 1, result.output
    [line] = result.stdout.splitlines()
    assert line.startswith(f"::error file=migrations/002.sql,line=2,col=1,title={CONCURRENT}::")


def test_only_changed_files_decide_the_exit_code(repo: Path) -> None:
    (repo / "migrations" / "002.sql").write_text("CREATE TABLE u (id bigint PRIMARY KEY, c char(2));\n")
    result = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output  # 001's error is not reported, 002 has a warning
    assert _flagged(result.stdout) == [("002.sql", 1, "prefer-text-over-char")]


def test_committed_and_modified_files_since_the_ref(repo: Path) -> None:
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "002")
    clean = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD", "--format", "json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["statements"] == []
    assert "no changed .sql files since HEAD" in clean.stderr
    since = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD~1", "--format", "json"])
    assert _flagged(since.stdout) == [("002.sql", 3, CONCURRENT)]
    (repo / "migrations" / "001.sql").write_text(INIT + "SELECT 1;\n")  # edited, not staged
    edited = runner.invoke(app, ["lint", "migrations", "--changed-since", "HEAD", "--format", "json"])
    assert _flagged(edited.stdout) == [("001.sql", 3, CONCURRENT)]


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "001.sql").write_text(INIT)
    result = runner.invoke(app, ["lint", str(tmp_path), "--changed-since", "main"])
    assert result.exit_code == 2
    assert f"{tmp_path} is not in a git repository" in " ".join(result.stderr.split())


def test_unknown_ref(repo: Path) -> None:
    result = runner.invoke(app, ["lint", "migrations", "--changed-since", "no-such-branch"])
    assert result.exit_code == 2
    assert "unknown git ref 'no-such-branch'" in " ".join(result.stderr.split())


def test_stdin_cannot_be_diffed(repo: Path) -> None:
    result = runner.invoke(app, ["lint", "-", "--changed-since", "HEAD"], input="SELECT 1;")
    assert result.exit_code == 2
    assert "cannot be used with - (stdin)" in result.stderr


def test_several_file_arguments_as_pre_commit_passes_them(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sql", tmp_path / "b.sql"
    first.write_text("CREATE TABLE u (id bigint PRIMARY KEY, c char(2));\n")
    second.write_text("CREATE INDEX posts_a ON posts (a);\n")
    result = runner.invoke(app, ["lint", str(first), str(second), str(first), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [s["file"] for s in json.loads(result.stdout)["statements"]] == [str(first), str(second)]
    assert _flagged(result.stdout) == [
        ("a.sql", 1, "prefer-text-over-char"),
        ("b.sql", 1, CONCURRENT),
        ("b.sql", 1, "require-lock-timeout"),
    ]
