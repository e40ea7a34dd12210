"""Queries embedded in application source: string literals that parse as SQL, each with file:line.

A folder is walked in name order (so the corpus is the same on every machine), skipping what is not the
application's own code: dependencies (``node_modules``, ``vendor``, virtual environments), VCS and tool
caches. Python is read with ``ast``, TypeScript/JavaScript, Go and Ruby with tree-sitter; a file its
parser rejects is reported (file and line) and skipped, not guessed at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zdt.collect.literals import StringLiteral
from zdt.collect.pyformat import numbered_placeholders
from zdt.collect.python_source import SourceSyntaxError, python_literals
from zdt.collect.statements import query_kind
from zdt.collect.tree_sitter_source import GRAMMARS, tree_sitter_literals
from zdt.compat.corpus import CorpusQuery
from zdt.compat.queries import QueryOrigin

SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        "vendor",
        "dist",
        "build",
        "site-packages",
    }
)
SUFFIXES = frozenset({".py", *GRAMMARS})


@dataclass
class SourceScan:
    """What a source folder yielded: the queries, and the files that could not be read."""

    queries: list[CorpusQuery] = field(default_factory=list)
    files: int = 0
    problems: list[str] = field(default_factory=list)


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def source_files(root: Path) -> Iterator[Path]:
    """The folder's source files of a known language, in name order, dependencies and caches skipped."""
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not _is_virtualenv(here / d))
        for name in sorted(files):
            if Path(name).suffix in SUFFIXES:
                yield here / name


def literals_of(path: Path, text: str) -> list[StringLiteral]:
    """The file's string literals, by its language; SourceSyntaxError for Python that does not parse."""
    if path.suffix == ".py":
        return python_literals(text, str(path))
    return tree_sitter_literals(text, path.suffix)


def as_query(literal: StringLiteral, suffix: str) -> str | None:
    """The literal's SQL when it is a query; Python's ``%s``/``%(name)s`` (psycopg) numbered first."""
    if query_kind(literal.text) is not None:
        return literal.text.strip()
    if suffix == ".py":
        numbered = numbered_placeholders(literal.text)
        if numbered is not None and query_kind(numbered) is not None:
            return numbered.strip()
    return None


def file_queries(path: Path, shown_as: str) -> list[CorpusQuery]:
    """The queries among one file's string literals, named and placed ``shown_as:line``."""
    text = path.read_text(encoding="utf-8", errors="replace")
    queries = []
    for literal in literals_of(path, text):
        sql = as_query(literal, path.suffix)
        if sql is None:
            continue
        queries.append(
            CorpusQuery(
                name=f"{shown_as}:{literal.line}",
                sql=sql,
                origin=QueryOrigin(kind="source", place=shown_as, line=literal.line),
            )
        )
    return queries


def scan_source(root: Path) -> SourceScan:
    """Every query embedded in the code under ``root``; places are paths as ``root`` spells them."""
    scan = SourceScan()
    paths = source_files(root) if root.is_dir() else iter([root])
    for path in paths:
        scan.files += 1
        shown_as = path.as_posix()
        try:
            scan.queries.extend(file_queries(path, shown_as))
        except (SourceSyntaxError, OSError) as error:
            scan.problems.append(f"{shown_as}: skipped: {error}")
    return scan
