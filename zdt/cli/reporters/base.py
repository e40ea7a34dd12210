"""What every ``zdt lint --format`` reporter is given, and where each finding sits in its file.

A reporter is a function from a :class:`LintRun` to the text it prints. It sees only the files whose
findings are reported (with ``--changed-since``, the changed ones); paths are relative to the working
directory, as CI systems want them, and every finding carries its file, line and column.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from zdt.analysis.model import Finding, StatementReport

if TYPE_CHECKING:  # lint_trace imports psycopg and the embedded server: --trace only
    from zdt.cli.lint_trace import StatementTrace


@dataclass(frozen=True)
class LintedFile:
    """One script as given (``name`` is the path as typed, or ``<stdin>``), its text and reports."""

    name: str
    text: str
    reports: list[StatementReport]


@dataclass(frozen=True)
class LintRun:
    files: list[LintedFile]
    traces: dict[tuple[str, int], StatementTrace] | None = None

    @property
    def results(self) -> list[tuple[str, list[StatementReport]]]:
        return [(file.name, file.reports) for file in self.files]


@dataclass(frozen=True)
class Issue:
    """One finding with its place: ``path`` relative to the working directory (``/`` separated)."""

    path: str
    line: int
    column: int
    finding: Finding
    statement: StatementReport = field(repr=False)


class Reporter(Protocol):
    def __call__(self, run: LintRun) -> str: ...


def display_path(name: str) -> str:
    """``name`` relative to the working directory when it is inside it, else absolute; ``/`` separated."""
    if name.startswith("<"):  # <stdin>
        return name
    absolute = Path(name).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix() if os.sep == "/" else str(absolute)


def statement_columns(text: str, reports: list[StatementReport]) -> dict[int, int]:
    """1-based column where each statement starts, by statement index.

    A report keeps its line and its text exactly as written (comments before it excluded), so the
    statement starts at the first occurrence of that text at or after both the end of the statement
    before it and the start of its line.
    """
    line_starts = [0]
    line_starts += [i + 1 for i, char in enumerate(text) if char == "\n"]
    columns: dict[int, int] = {}
    cursor = 0
    for report in reports:
        found = text.find(report.sql, max(cursor, line_starts[min(report.line, len(line_starts)) - 1]))
        if found < 0:
            columns[report.index] = 1
            continue
        line_start = text.rfind("\n", 0, found) + 1
        columns[report.index] = found - line_start + 1
        cursor = found + len(report.sql)
    return columns


def issues(run: LintRun) -> Iterator[Issue]:
    """Every reported finding, file by file and statement by statement."""
    for file in run.files:
        path = display_path(file.name)
        columns = statement_columns(file.text, file.reports)
        for report in file.reports:
            for finding in report.findings:
                yield Issue(path, report.line, columns.get(report.index, 1), finding, report)


def message_with_fix(finding: Finding) -> str:
    """The finding's message and its fix as one sentence pair: what is wrong, then the safe way."""
    message = finding.message.rstrip()
    if not message.endswith((".", "!", "?")):
        message += "."
    return f"{message} Fix: {finding.fix}"
