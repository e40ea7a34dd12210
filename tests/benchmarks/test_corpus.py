"""The benchmark corpus: every statement parses, every statement family appears, a seed fixes the output."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pglast import parser

CORPUS_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus.py"


def _load_corpus() -> ModuleType:
    # By path: under pytest the name ``benchmarks`` is this tests package, not the repository's folder.
    name = "zdt_benchmark_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, CORPUS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


@pytest.fixture(scope="module")
def small_corpus() -> list:
    return corpus.generate_corpus(files=20, seed=7)


def test_every_statement_parses_with_pglast(small_corpus: list) -> None:
    for migration in small_corpus:
        for statement in migration.statements:
            assert len(parser.parse_sql(statement.sql)) == 1, statement.sql
        # The rendered file (with its comments) is exactly those statements.
        assert len(parser.parse_sql(migration.text)) == len(migration.statements), migration.name


def test_the_mix_has_every_statement_family(small_corpus: list) -> None:
    seen = {statement.family for migration in small_corpus for statement in migration.statements}
    assert set(corpus.FAMILIES) - seen == set()
    assert seen <= set(corpus.FAMILIES)


def test_the_mix_has_the_variants_a_linter_cares_about(small_corpus: list) -> None:
    sql = "\n".join(migration.text for migration in small_corpus)
    for variant in (
        "CREATE INDEX CONCURRENTLY",
        "CREATE UNIQUE INDEX",
        "DROP INDEX CONCURRENTLY",
        "NOT VALID",
        "USING INDEX",
        "VALIDATE CONSTRAINT",
        "SET NOT NULL",
        "DROP NOT NULL",
        " TYPE ",
        "RENAME",
        "SET lock_timeout",
        "statement_timeout",
        "BEGIN",
        "COMMIT",
        "VACUUM",
        "ADD VALUE",
        "clock_timestamp()",
        "GRANT ",
        "-- ",
    ):
        assert variant in sql, variant


def test_files_have_the_requested_number_of_statements(small_corpus: list) -> None:
    assert len(small_corpus) == 20
    # A step that takes two or three statements (index, then constraint using it) may overshoot by two.
    assert all(10 <= len(m.statements) <= 32 for m in small_corpus)
    assert len({m.name for m in small_corpus}) == 20


def test_generation_is_deterministic_for_a_seed(small_corpus: list) -> None:
    again = corpus.generate_corpus(files=20, seed=7)
    assert again == small_corpus
    other = corpus.generate_corpus(files=20, seed=8)
    assert [m.text for m in other] != [m.text for m in small_corpus]


def test_write_corpus_writes_each_file(tmp_path: Path) -> None:
    migrations = corpus.generate_corpus(files=3, statements_per_file=(5, 5), seed=1)
    paths = corpus.write_corpus(migrations, tmp_path / "corpus")
    assert [p.name for p in paths] == [m.name for m in migrations]
    assert [p.read_text(encoding="utf-8") for p in paths] == [m.text for m in migrations]
