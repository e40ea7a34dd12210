"""benchmarks/read_corpus.py finds the migration folders inside repositories and reports each one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.migrations.trees import tree

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "read_corpus.py"


def _load() -> ModuleType:
    # By path: under pytest the name ``benchmarks`` is this tests package, not the repository's folder.
    spec = importlib.util.spec_from_file_location("zdt_benchmark_read_corpus", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reports_tool_count_first_and_last_per_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(
        tmp_path,
        {
            "app/src/main/resources/db/migration/V1__a.sql": "SELECT 1;",
            "app/src/main/resources/db/migration/V1_10__b.sql": "SELECT 2;",
            "app/src/main/resources/db/migration/V1_9__c.sql": "SELECT 3;",
            "web/prisma/migrations/migration_lock.toml": "",
            "web/prisma/migrations/20240101000000_init/migration.sql": "SELECT 1;",
            "web/seed.sql": "SELECT 'a plain file is not a migration folder';",
        },
    )
    assert _load().main(["read_corpus.py", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[:5] for line in lines] == [
        ["app", "flyway", "3", "1", "1.10"],
        ["web", "prisma", "1", "20240101000000_init", "20240101000000_init"],
    ]


def test_a_malformed_folder_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree(tmp_path, {"svc/migrations/1_a.up.sql": "", "svc/migrations/01_b.up.sql": ""})
    assert _load().main(["read_corpus.py", str(tmp_path)]) == 1
    assert "same version 1" in capsys.readouterr().out
