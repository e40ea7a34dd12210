"""Agent fixtures: the civic schema on the test's fresh database, and a planning ToolContext on it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.tools.civic import CIVIC_SCHEMA
from zdt.tools.context import ToolContext


@pytest.fixture
def civic_url(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(CIVIC_SCHEMA)
    return database_url


@pytest.fixture
def tool_context(civic_url: str, tmp_path: Path) -> ToolContext:
    pad = tmp_path / "scratchpads"
    pad.mkdir()
    return ToolContext(target_url=civic_url, scratchpad_dir=pad, session_id="test-session")
