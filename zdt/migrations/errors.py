"""The ways reading a folder or a history table can fail, each naming the folder or table concerned.

A folder zdt cannot read the way its tool would is refused rather than guessed at: applying migrations
in an order the tool would not, or recording them in a way the tool would not recognise, would leave
the team's tool and the database disagreeing about what has run.
"""

from __future__ import annotations

from pathlib import Path


class MigrationFolderError(ValueError):
    """A folder that cannot be read; the message names the folder."""

    def __init__(self, folder: Path, problem: str) -> None:
        super().__init__(f"{folder}: {problem}")
        self.folder = folder
        self.problem = problem


class UndetectedFolderError(MigrationFolderError):
    """The folder matches no known tool's layout, or more than one."""


class MalformedFolderError(MigrationFolderError):
    """The folder is one tool's, but breaks that tool's rules (two files of one version, a missing file)."""


class MigrationHistoryError(RuntimeError):
    """The tool's history table says something zdt must not continue past (dirty, failed, edited, foreign).

    The tool itself would stop here too; the message says what the tool would report.
    """
