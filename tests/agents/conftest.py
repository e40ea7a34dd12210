"""Agent fixtures: the civic schema on the test's fresh database, and a planning ToolContext on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.tools.civic import CIVIC_SCHEMA
from zdt.db.scratch import scratch_database
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


@pytest.fixture
def staging_url(admin_url: str) -> Iterator[str]:
    """A second fresh database with the same civic schema: the session's staging."""
    with scratch_database(admin_url, prefix="zdt_staging") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(CIVIC_SCHEMA)
        yield url
