"""zdt's configuration file: ``zdt.toml``, or the ``[tool.zdt]`` table of ``pyproject.toml``.

Found by walking up from the working directory (in each folder ``zdt.toml`` first, then a
``pyproject.toml`` that has a ``[tool.zdt]`` table); ``--config PATH`` names one instead. Every key is
optional; an unknown key, an unknown rule id or a bad value is a :class:`ConfigError` naming the file and
the key. Command-line options win over the file.

```toml
migrations = "db/migrations"   # default target of `zdt lint`, relative to this file
tool = "prisma"                # how that folder is laid out
format = "github"              # default --format of `zdt lint`
disable = ["prefer-text-over-char"]

[severity]
prefer-timestamptz = "error"

[thresholds]                   # below both sizes an error on a table becomes a warning
small_table_rows = 10000
small_table_bytes = 16777216

[plan]                         # zdt plan's lock_timeout, retries and backfill batches
lock_timeout_ms = 200
max_lock_retries = 10
batch_size = 2000
batch_pause_ms = 5

[record]                       # what a session's event log never holds
sensitive_columns = ["users.email"]

[prices."claude-sonnet"]       # USD per million tokens; a key matches model ids it prefixes
input = 3.0
output = 15.0
cache_write = 3.75
cache_read = 0.30
```
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from zdt.analysis.model import Severity, StatementReport
from zdt.analysis.rules import RULES_BY_ID
from zdt.analysis.state import SmallTable

CONFIG_FILE = "zdt.toml"
PYPROJECT = "pyproject.toml"


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file and the key."""


class LintFormat(StrEnum):
    """What ``zdt lint --format`` prints."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    GITLAB = "gitlab"


class MigrationTool(StrEnum):
    """How a migrations folder is laid out: the tools ``zdt.migrations`` reads (its ``TOOLS``)."""

    PRISMA = "prisma"
    DIESEL = "diesel"
    FLYWAY = "flyway"
    POP = "pop"
    GOLANG_MIGRATE = "golang-migrate"
    DBMATE = "dbmate"
    PLAIN = "plain"  # plain .sql files, applied in name order


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Section):
    """Sizes below which a lock on a table is cheap; unset keys keep zdt's defaults."""

    small_table_rows: int | None = Field(default=None, ge=0)
    small_table_bytes: int | None = Field(default=None, ge=0)

    def small_table(self) -> SmallTable:
        default = SmallTable()
        return SmallTable(
            rows=default.rows if self.small_table_rows is None else self.small_table_rows,
            bytes=default.bytes if self.small_table_bytes is None else self.small_table_bytes,
        )


class PlanSettings(_Section):
    """The planner's knobs (``PlannerSettings``); unset keys keep zdt's defaults."""

    lock_timeout_ms: int | None = Field(default=None, ge=1)
    max_lock_retries: int | None = Field(default=None, ge=0)
    batch_size: int | None = Field(default=None, ge=1)
    batch_pause_ms: int | None = Field(default=None, ge=0)
    versioned_schemas: bool | None = Field(
        default=None,
        description="Version schemas for the two releases; unset: on for type changes.",
    )

    def overrides(self) -> dict[str, int | bool]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class ModelPrice(_Section):
    """What a model costs, in USD per million tokens (the record's cost summary: zdt.record.prices)."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float | None = Field(default=None, ge=0, description="Default: 1.25 x input.")
    cache_read: float | None = Field(default=None, ge=0, description="Default: 0.1 x input.")


class RecordSettings(_Section):
    """The session record (zdt.record): columns whose values are redacted from every event."""

    sensitive_columns: list[str] = Field(
        default_factory=list, description="'table.column' or a bare 'column' name."
    )


def _unknown_rule(rule_id: str) -> str:
    close = difflib.get_close_matches(rule_id, RULES_BY_ID, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else " (the rules are listed in docs/rules.md)"
    return f"unknown rule id {rule_id!r}{hint}"


class Config(_Section):
    """Everything a configuration file can say; the defaults are zdt's behaviour without one."""

    migrations: Path | None = Field(default=None, description="The migrations folder, relative to the file.")
    tool: MigrationTool | None = None
    format: LintFormat | None = None
    disable: list[str] = Field(default_factory=list, description="Rule ids whose findings are dropped.")
    severity: dict[str, Severity] = Field(default_factory=dict, description="Rule id -> severity.")
    thresholds: Thresholds = Field(default_factory=Thresholds)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    record: RecordSettings = Field(default_factory=RecordSettings)
    prices: dict[str, ModelPrice] = Field(default_factory=dict, description="Model id (prefix) -> price.")
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("disable")
    @classmethod
    def _known_disabled(cls, value: list[str]) -> list[str]:
        for rule_id in value:
            if rule_id not in RULES_BY_ID:
                raise ValueError(_unknown_rule(rule_id))
        return value

    @field_validator("severity")
    @classmethod
    def _known_severities(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        for rule_id in value:
            if rule_id not in RULES_BY_ID:
                raise ValueError(_unknown_rule(rule_id))
        return value

    @property
    def path(self) -> Path | None:
        """The file this configuration was read from (None: no file, zdt's defaults)."""
        return self._path

    @property
    def migrations_path(self) -> Path | None:
        """``migrations`` resolved against the folder of the file that names it."""
        if self.migrations is None:
            return None
        base = self._path.parent if self._path is not None else Path.cwd()
        return base / self.migrations

    def small_table(self) -> SmallTable:
        return self.thresholds.small_table()

    def apply(self, reports: list[StatementReport]) -> list[StatementReport]:
        """The reports with disabled rules' findings dropped and severities overridden."""
        if not self.disable and not self.severity:
            return reports
        disabled = set(self.disable)
        changed = []
        for report in reports:
            findings = [
                finding.model_copy(update={"severity": self.severity.get(finding.rule, finding.severity)})
                for finding in report.findings
                if finding.rule not in disabled
            ]
            changed.append(report.model_copy(update={"findings": findings}))
        return changed


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read: most `zdt lint` runs in a hook have none

    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error


def _zdt_table(path: Path, document: dict[str, Any]) -> dict[str, Any] | None:
    if path.name != PYPROJECT:
        return document
    tool = document.get("tool")
    table = tool.get("zdt") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.zdt must be a table")
    return table


def _key(prefix: str, location: tuple[int | str, ...]) -> str:
    return prefix + ".".join(str(part) for part in location)


def parse_config(path: Path, table: dict[str, Any]) -> Config:
    """Validate one ``[tool.zdt]`` / ``zdt.toml`` table read from ``path``."""
    prefix = "tool.zdt." if path.name == PYPROJECT else ""
    try:
        config = Config.model_validate(table)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            key = _key(prefix, problem["loc"])
            if problem["type"] == "extra_forbidden":
                problems.append(f"{path}: unknown key {key!r}")
            else:
                message = str(problem["msg"]).removeprefix("Value error, ")
                problems.append(f"{path}: {key}: {message}")
        raise ConfigError("\n".join(problems)) from None
    config._path = path
    return config


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``zdt.toml``, or ``pyproject.toml`` with ``[tool.zdt]``, from ``start`` upwards."""
    folder = (start or Path.cwd()).resolve()
    for directory in (folder, *folder.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _zdt_table(pyproject, _read_toml(pyproject)) is not None:
            return pyproject
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """The configuration in ``path``, else the one found from ``start`` (the working directory) up.

    No file at all gives zdt's defaults.
    """
    if path is None:
        path = find_config(start)
        if path is None:
            return Config()
    elif not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    table = _zdt_table(path, _read_toml(path))
    if table is None:
        raise ConfigError(f"{path}: has no [tool.zdt] table")
    return parse_config(path, table)
