"""Tool fixtures: a ToolContext on the test's fresh database, with a small civic schema in it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from zdt.tools.context import ToolContext

CIVIC_SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, reputation int);
CREATE TABLE elections (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE votes (
    id bigint PRIMARY KEY,
    election_id bigint NOT NULL REFERENCES elections(id),
    user_id bigint NOT NULL REFERENCES users(id)
);
INSERT INTO users SELECT g, 'u' || g || '@example.org', g % 7 FROM generate_series(1, 500) g;
INSERT INTO elections VALUES (1, 'city council');
INSERT INTO votes SELECT g, 1, g FROM generate_series(1, 300) g;
ANALYZE;
"""


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
