"""Helpers of the session CLI tests: run ``zdt`` in a real subprocess, as a user (or a CI job) would.

Why subprocesses: a session must survive the process that started it, so the test that resumes it must
be a new process; and a run with no terminal (stdin not a TTY) must stop at the approval by itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.graph.conftest import create_schema

SQL = "CREATE INDEX idx_users_email ON users (email);\nALTER TABLE users ADD COLUMN badge_count integer;\n"


def zdt(
    *args: str, cwd: Path, timeout: float = 120, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m zdt ARGS`` with no terminal, no API key (unless ``env_extra`` sets one), and a wide
    console so lines do not wrap."""
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "ZDT_DATABASE_URL")}
    env["COLUMNS"] = "250"
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "zdt", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def session_id_in(output: str) -> str:
    match = re.search(r"zdt resume (s-\d{8}-\d{6}-[0-9a-f]{4})", output)
    assert match, output
    return match.group(1)


def column_exists(url: str, table: str, column: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, column],
        ).fetchone()
    return bool(row and row[0])


def prepare_target(url: str) -> None:
    create_schema(url, rows=100)
