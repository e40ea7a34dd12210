"""The approver's documents cannot be forged: the approval says what the plan's hash covers, and whether
plan.json in the session's folder is still the plan that runs; what runs is the approved plan, whatever
the file says."""

from __future__ import annotations

import json

import psycopg

from tests.graph.conftest import Harness
from zdt.graph.runner import decision
from zdt.sessions.scratchpads import PLAN_JSON
from zdt.tools import build_toolbox
from zdt.tools.context import ToolContext

SQL = "ALTER TABLE users ADD COLUMN badge_count integer;"


def test_a_forged_plan_json_is_called_out_and_never_runs(harness: Harness) -> None:
    waiting = harness.start(SQL)
    pending = waiting.pending
    assert pending is not None
    assert "every step's id, phase, description, sql" in pending["hash_covers"]
    assert "plan.json on disk is the plan that runs" in pending["documents"], pending["documents"]

    out = harness.context.session_dir(harness.session_id)
    pad = ToolContext(target_url=harness.target_url, scratchpad_dir=out, session_id=harness.session_id)
    forged = json.loads((out / PLAN_JSON).read_text())
    forged["steps"][0]["sql"] = ["DROP TABLE users"]
    for agent in ("planner", "compatibility"):  # the way a model would try: refused
        result = build_toolbox(agent, pad).call(
            "write_scratchpad", {"name": PLAN_JSON, "content": json.dumps(forged)}
        )
        assert result.is_error and "written by zdt itself" in result.content
    (out / PLAN_JSON).write_text(json.dumps(forged))  # and past the tools, as any other process could

    asked_again = harness.drive(decision(True, "0" * 64, "tester"))  # a wrong hash: asked again
    assert asked_again.pending is not None
    assert "plan.json on disk DIFFERS from the plan that runs" in asked_again.pending["documents"]

    done = harness.approve()
    assert done.status == "done"
    with psycopg.connect(harness.target_url) as conn:
        assert conn.execute("SELECT to_regclass('public.users') IS NOT NULL").fetchone() == (True,)
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        ).fetchall()
    assert ("badge_count",) in columns
