"""A session from SQL to done, and the paths around the approval: approve, reject and re-plan, reject.

Why: these are the session's promises to the person at the gate — nothing touches production before an
approval of the exact plan shown, a rejection with a reason is heard by the planner, and every agent's
work is streamed live and left in the session's scratchpads.
"""

from __future__ import annotations

import psycopg

from tests.graph.conftest import Harness, fingerprint
from zdt.executor import migration_status
from zdt.sessions.scratchpads import COMPATIBILITY_MD, LOG_MD, MONITORING_MD, PLAN_JSON, PLAN_MD

SQL = "CREATE INDEX idx_users_email ON users (email);\nALTER TABLE users ADD COLUMN badge_count integer;"


def test_session_from_sql_to_done(harness: Harness) -> None:
    before = fingerprint(harness.target_url)
    waiting = harness.start(SQL, queries="SELECT id, email FROM users WHERE id = 1;")

    assert waiting.waiting and waiting.status == "awaiting_approval"
    assert fingerprint(harness.target_url) == before, "nothing touches production before the approval"
    assert migration_status(harness.target_url) == []
    pending = waiting.pending
    assert pending is not None
    assert pending["plan_hash"] == waiting.values["plan_hash"]
    assert pending["rehearsal"]["ok"] and pending["rehearsal"]["where"].startswith("staging")
    assert pending["rehearsal"]["equivalence"]["proven"], pending["rehearsal"]["equivalence"]["summary"]
    assert pending["compatibility"]["verdict"] == "compatible"
    assert [step["phase"] for step in pending["steps"]] == ["expand", "expand"]

    done = harness.approve()

    assert done.status == "done" and not done.waiting
    assert fingerprint(harness.target_url) != before
    with psycopg.connect(harness.target_url) as conn:
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'users'").fetchall()
    assert ("idx_users_email",) in indexes
    assert harness.nodes_run()[-5:] == ["approval", "execute", "verify", "deploy_gate", "done"]
    assert done.values["approvals"][0]["plan_hash"] == done.values["plan_hash"]
    out = harness.context.session_dir(harness.session_id)
    for name in (PLAN_MD, PLAN_JSON, LOG_MD, COMPATIBILITY_MD, MONITORING_MD):
        assert (out / name).is_file(), name
    assert "offline" in (out / PLAN_MD).read_text(), "the plan names the brain that made it"
    agents = {event["agent"] for event in harness.progress()}
    assert {"planner", "gate", "rehearsal", "compatibility", "executor", "monitor"} <= agents
    tools = {(event["agent"], event["tool"]) for event in harness.progress() if event["event"] == "tool"}
    assert ("planner", "analyse_sql") in tools
    assert any(agent == "compatibility" for agent, _ in tools), "each tool call is reported live"


def test_rejection_with_a_comment_goes_back_to_the_planner(harness: Harness) -> None:
    harness.start(SQL)
    again = harness.reject("split the index into its own migration", by="dba")

    assert again.waiting, "re-planned, rehearsed, and asking again"
    assert again.values["planning_rounds"] == 1
    assert any("split the index" in entry["message"] for entry in again.values["log"])
    assert harness.nodes_run().count("planner") == 2
    planner_starts = [e for e in harness.progress("planner") if e["event"] == "started"]
    assert planner_starts[-1]["findings"] == 1, "the comment reached the planner as a finding"
    assert migration_status(harness.target_url) == []

    done = harness.approve(by="dba")

    assert done.status == "done"
    assert [a["approved"] for a in done.values["approvals"]] == [False, True]


def test_rejection_without_a_comment_ends_the_session(harness: Harness) -> None:
    before = fingerprint(harness.target_url)
    harness.start(SQL)
    ended = harness.reject()

    assert ended.status == "rejected" and not ended.waiting
    assert fingerprint(harness.target_url) == before
    assert "execute" not in harness.nodes_run()
