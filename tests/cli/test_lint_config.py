"""``zdt lint`` and ``zdt plan`` with a configuration file: zdt.toml or [tool.zdt], found or named."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from zdt.cli.app import app

runner = CliRunner()
CHAR = "CREATE TABLE u (id bigint PRIMARY KEY, c char(2));\n"  # a prefer-text-over-char warning


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.sql").write_text(CHAR)
    return tmp_path


def _rules(stdout: str) -> list[tuple[str, str]]:
    return [
        (finding["rule"], finding["severity"])
        for statement in json.loads(stdout)["statements"]
        for finding in statement["findings"]
    ]


def test_disable_drops_a_rule(here: Path) -> None:
    assert _rules(runner.invoke(app, ["lint", "m.sql", "--format", "json"]).stdout) == [
        ("prefer-text-over-char", "warning")
    ]
    (here / "zdt.toml").write_text('disable = ["prefer-text-over-char"]\n')
    result = runner.invoke(app, ["lint", "m.sql", "--format", "json"])
    assert result.exit_code == 0 and _rules(result.stdout) == []


def test_a_severity_override_changes_the_exit_code(here: Path) -> None:
    assert runner.invoke(app, ["lint", "m.sql"]).exit_code == 0
    (here / "zdt.toml").write_text('[severity]\nprefer-text-over-char = "error"\n')
    result = runner.invoke(app, ["lint", "m.sql", "--format", "json"])
    assert result.exit_code == 1
    assert _rules(result.stdout) == [("prefer-text-over-char", "error")]
    (here / "index.sql").write_text("SET lock_timeout = '1s';\nCREATE INDEX posts_a ON posts (a);\n")
    assert runner.invoke(app, ["lint", "index.sql"]).exit_code == 1
    (here / "zdt.toml").write_text('[severity]\nrequire-concurrent-index-creation = "warning"\n')
    assert runner.invoke(app, ["lint", "index.sql"]).exit_code == 0


def test_an_unknown_key_is_an_error_naming_the_file_and_the_key(here: Path) -> None:
    (here / "zdt.toml").write_text('disable = []\n[severity]\n\n[plan]\nlock_timeout = "1s"\n')
    result = runner.invoke(app, ["lint", "m.sql"])
    assert result.exit_code == 2
    assert f"{here / 'zdt.toml'}: unknown key 'plan.lock_timeout'" in " ".join(result.stderr.split())


def test_an_unknown_rule_id_is_an_error(here: Path) -> None:
    (here / "zdt.toml").write_text('[severity]\nprefer-timestampz = "error"\n')
    result = runner.invoke(app, ["lint", "m.sql"])
    assert result.exit_code == 2
    assert "severity: unknown rule id 'prefer-timestampz' (did you mean 'prefer-timestamptz'?)" in " ".join(
        result.stderr.split()
    )


def test_pyproject_tool_zdt_is_found_from_a_subfolder(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.zdt]\nformat = "github"\ndisable = ["prefer-bigint-primary-key"]\n'
        '[tool.zdt.severity]\nprefer-text-over-char = "error"\n'
    )
    sub = here / "db" / "migrations"
    sub.mkdir(parents=True)
    (sub / "001.sql").write_text(CHAR)
    monkeypatch.chdir(sub)
    result = runner.invoke(app, ["lint", "001.sql"])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=001.sql,line=1,col=1,title=prefer-text-over-char::")
    assert runner.invoke(app, ["lint", "001.sql", "--format", "json"]).stdout.startswith("{")  # CLI wins
    (here / "pyproject.toml").write_text("[tool.zdt]\nunknown = 1\n")
    result = runner.invoke(app, ["lint", "001.sql"])
    assert result.exit_code == 2
    assert f"{here / 'pyproject.toml'}: unknown key 'tool.zdt.unknown'" in " ".join(result.stderr.split())


def test_config_option_overrides_discovery(here: Path) -> None:
    (here / "zdt.toml").write_text('disable = ["prefer-text-over-char"]\n')
    other = here / "ci" / "strict.toml"
    other.parent.mkdir()
    other.write_text('[severity]\nprefer-text-over-char = "error"\n')
    assert runner.invoke(app, ["lint", "m.sql"]).exit_code == 0
    assert runner.invoke(app, ["lint", "m.sql", "--config", str(other)]).exit_code == 1
    missing = runner.invoke(app, ["lint", "m.sql", "--config", "nope.toml"])
    assert missing.exit_code == 2 and "nope.toml: no such configuration file" in missing.stderr


def test_migrations_folder_is_the_default_target(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = here / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "001.sql").write_text(CHAR)
    (here / "zdt.toml").write_text('migrations = "db/migrations"\ntool = "plain"\nformat = "gitlab"\n')
    monkeypatch.chdir(here / "db")
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 0, result.output
    assert [issue["location"]["path"] for issue in json.loads(result.stdout)] == ["migrations/001.sql"]
    (here / "zdt.toml").write_text("")
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 2 and "give FILE|DIR|- to lint" in result.stderr


def test_small_table_threshold_from_the_config(
    here: Path, conn: psycopg.Connection, database_url: str
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, a int)")
    conn.execute("INSERT INTO posts SELECT g, g FROM generate_series(1, 2000) g")
    conn.execute("ANALYZE posts")
    (here / "index.sql").write_text("SET lock_timeout = '1s';\nCREATE INDEX posts_a ON posts (a);\n")
    args = ["lint", "index.sql", "--database-url", database_url, "--format", "json"]
    small = runner.invoke(app, args)  # 2,000 rows: below the default 10,000, a warning
    assert small.exit_code == 0, small.output
    assert ("require-concurrent-index-creation", "warning") in _rules(small.stdout)
    (here / "zdt.toml").write_text("[thresholds]\nsmall_table_rows = 1000\n")
    large = runner.invoke(app, args)
    assert large.exit_code == 1, large.output
    assert ("require-concurrent-index-creation", "error") in _rules(large.stdout)


def test_plan_settings_from_the_config(here: Path) -> None:
    (here / "add.sql").write_text("ALTER TABLE posts ADD COLUMN x int;\n")
    (here / "zdt.toml").write_text("[plan]\nlock_timeout_ms = 750\n")
    result = runner.invoke(app, ["plan", "add.sql", "--format", "json", "--out", str(here / "out")])
    timeouts = [step["timeouts"]["lock_timeout_ms"] for step in json.loads(result.stdout)["steps"]]
    assert timeouts and set(timeouts) == {750}
