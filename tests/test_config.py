"""zdt.config: the file's model, its discovery, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from zdt.analysis.model import Finding, Severity, StatementReport
from zdt.analysis.state import SmallTable
from zdt.config import Config, ConfigError, LintFormat, MigrationTool, find_config, load_config

FULL = """
migrations = "db/migrations"
tool = "prisma"
format = "github"
disable = ["prefer-text-over-char"]

[severity]
prefer-timestamptz = "error"

[thresholds]
small_table_rows = 500

[plan]
lock_timeout_ms = 750
batch_size = 100
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_key_is_read_and_typed(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "zdt.toml", FULL))
    assert config.path == tmp_path / "zdt.toml"
    assert config.migrations_path == tmp_path / "db" / "migrations"
    assert config.tool is MigrationTool.PRISMA
    assert config.format is LintFormat.GITHUB
    assert config.disable == ["prefer-text-over-char"]
    assert config.severity == {"prefer-timestamptz": Severity.ERROR}
    assert config.small_table() == SmallTable(rows=500, bytes=SmallTable().bytes)
    assert config.plan.overrides() == {"lock_timeout_ms": 750, "batch_size": 100}


def test_no_file_gives_the_defaults() -> None:
    config = Config()
    assert config.small_table() == SmallTable()
    assert config.plan.overrides() == {}
    assert config.migrations_path is None


def test_apply_drops_disabled_findings_and_overrides_severities() -> None:
    findings = [
        Finding(rule="prefer-text-over-char", severity=Severity.WARNING, message="m", fix="f"),
        Finding(rule="prefer-timestamptz", severity=Severity.WARNING, message="m", fix="f"),
    ]
    report = StatementReport(index=0, line=1, sql="x", kind="CreateStmt", findings=findings)
    config = Config(disable=["prefer-text-over-char"], severity={"prefer-timestamptz": Severity.ERROR})
    [changed] = config.apply([report])
    assert [(f.rule, f.severity) for f in changed.findings] == [("prefer-timestamptz", Severity.ERROR)]
    assert report.findings == findings  # the input is left as it was


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('colour = "red"\n', "unknown key 'colour'"),
        ("[plan]\nlock_timeout = 5\n", "unknown key 'plan.lock_timeout'"),
        ("[thresholds]\nsmall_table_rows = -1\n", "thresholds.small_table_rows: Input should be greater"),
        ('disable = ["prefer-text-over-chars"]\n', "disable: unknown rule id 'prefer-text-over-chars' "),
        ('[severity]\nno-such-rule = "error"\n', "severity: unknown rule id 'no-such-rule'"),
        ('[severity]\nprefer-timestamptz = "fatal"\n', "severity.prefer-timestamptz: Input should be"),
        ('tool = "primsa"\n', "tool: Input should be 'prisma', 'diesel'"),
        ('format = "xml"\n', "format: Input should be 'text', 'json', 'sarif', 'github' or 'gitlab'"),
        ("disable = [\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path / "zdt.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_a_close_rule_id_is_suggested(tmp_path: Path) -> None:
    path = _write(tmp_path / "zdt.toml", 'disable = ["prefer-text-over-chars"]\n')
    with pytest.raises(ConfigError, match="did you mean 'prefer-text-over-char'"):
        load_config(path)


def test_pyproject_keys_are_named_under_tool_zdt(tmp_path: Path) -> None:
    path = _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.zdt]\nfoo = 1\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: unknown key 'tool.zdt.foo'"):
        load_config(path)


def test_discovery_walks_up_zdt_toml_before_pyproject_and_skips_pyproject_without_tool_zdt(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    _write(tmp_path / "pyproject.toml", '[tool.zdt]\nformat = "json"\n')
    _write(tmp_path / "a" / "b" / "pyproject.toml", '[project]\nname = "unrelated"\n')
    assert find_config(deep) == tmp_path / "pyproject.toml"
    assert load_config(start=deep).format is LintFormat.JSON
    _write(tmp_path / "a" / "zdt.toml", 'format = "sarif"\n')
    _write(tmp_path / "a" / "pyproject.toml", '[tool.zdt]\nformat = "gitlab"\n')
    assert find_config(deep) == tmp_path / "a" / "zdt.toml"


def test_an_explicit_path_must_exist_and_a_pyproject_must_have_tool_zdt(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml")
    path = _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"has no \[tool.zdt\] table"):
        load_config(path)


def test_the_readme_example_is_a_valid_configuration(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    example = readme.split("### Lint in CI", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    config = load_config(_write(tmp_path / "zdt.toml", example))
    assert config.tool is MigrationTool.PRISMA and config.severity == {"prefer-timestamptz": Severity.ERROR}
    assert config.small_table() == SmallTable()  # the example shows the defaults
    assert config.record.sensitive_columns == ["users.email"]
    assert config.prices["claude-sonnet"].output == 15.0


def test_a_price_with_an_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "zdt.toml", '[prices."claude-x"]\ninput = 1.0\noutput = 2.0\ncahce_read = 0.1\n')
    with pytest.raises(ConfigError, match=r"unknown key 'prices.claude-x.cahce_read'"):
        load_config(path)


def test_the_config_names_exactly_the_tools_the_folder_readers_know() -> None:
    from zdt.migrations import TOOLS

    assert sorted(tool.value for tool in MigrationTool) == sorted(TOOLS)
