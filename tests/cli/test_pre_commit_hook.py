"""The repository's .pre-commit-hooks.yaml: the zdt-lint hook, and its entry run as pre-commit runs it."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from zdt.cli.app import app

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list)
    [hook] = [hook for hook in hooks if hook["id"] == "zdt-lint"]
    return hook


def test_the_hook_is_declared_as_pre_commit_expects() -> None:
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["entry"] == "zdt lint"
    assert hook["pass_filenames"] is True
    files = re.compile(str(hook["files"]))
    assert files.search("db/migrations/001_init.sql") and not files.search("setup.py")
    assert not files.search("notes.sql.md")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["zdt"] == "zdt.cli.app:main"  # language: python installs this console script


def test_the_entry_lints_the_files_pre_commit_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program, *arguments = shlex.split(str(_hook()["entry"]))
    assert program == "zdt"
    monkeypatch.chdir(tmp_path)  # pre-commit runs at the repository root and passes relative paths
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_init.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY, a int);\n")
    (migrations / "002_index.sql").write_text("SET lock_timeout = '1s';\nCREATE INDEX t_a ON t (a);\n")
    passed = runner.invoke(app, [*arguments, "migrations/001_init.sql"])
    assert passed.exit_code == 0, passed.output
    failed = runner.invoke(app, [*arguments, "migrations/001_init.sql", "migrations/002_index.sql"])
    assert failed.exit_code == 1
    assert "migrations/002_index.sql:2" in failed.stdout
    assert "require-concurrent-index-creation" in failed.stdout
