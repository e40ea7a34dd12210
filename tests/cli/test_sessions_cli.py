"""``zdt sessions --format json``: a session left waiting is listed with the plan and hash to review."""

from __future__ import annotations

import json
from pathlib import Path

from tests.graph.cli_support import SQL, prepare_target, session_id_in, zdt


def test_a_waiting_session_is_listed_with_its_pending_approval(database_url: str, tmp_path: Path) -> None:
    prepare_target(database_url)
    (tmp_path / "badges.sql").write_text(SQL)
    state = ["--state-url", f"sqlite:///{tmp_path}/s.sqlite"]
    started = zdt(
        "run",
        "--sql",
        "badges.sql",
        "--brain",
        "offline",
        "--database-url",
        database_url,
        *state,
        cwd=tmp_path,
    )
    assert started.returncode == 3, started.stdout + started.stderr
    session_id = session_id_in(started.stdout)

    listed = zdt("sessions", "--format", "json", *state, cwd=tmp_path)

    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)["sessions"]
    assert row["id"] == session_id
    assert row["status"] == "awaiting_approval"
    assert row["next"] == ["approval"]
    assert row["pending_approval"]["plan_id"].startswith("m-")
    assert len(row["pending_approval"]["plan_hash"]) == 64
    assert "@" in row["target"] and "password" not in listed.stdout
    assert row["staging"] == "embedded"
    assert len(row["record_head"]) == 64 and row["record_head"] in started.stdout

    text = zdt("sessions", *state, cwd=tmp_path)
    assert session_id in text.stdout and "approval of" in text.stdout
    assert row["record_head"][:16] in text.stdout
