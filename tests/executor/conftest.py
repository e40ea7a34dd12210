"""Fixtures of the executor tests: where the migration log goes."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "MIGRATION-LOG.md"
