"""The executor agent's advice after a production failure is acted on, never on its own authority.

Why: a lock that stays taken is worth another try, but only with the approver's consent; a revised step
is a different plan, so it must pass the gate and a new approval. Both paths are proven here on a real
server: retry with the offline brain (its advice for a lock timeout), revise with a fake Claude.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg

from tests.agents.fake_api import message, tool_use
from tests.graph.conftest import Harness, fingerprint
from tests.graph.test_claude_session import RoutedFakeModel
from tests.graph.test_failures import CHECK_SQL
from zdt.agents.brains import ClaudeBrain
from zdt.executor import ExecutorSettings
from zdt.graph.context import SessionSettings
from zdt.sessions.scratchpads import MONITORING_MD


def test_a_lock_timeout_is_retried_after_the_approver_confirms(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    harness = Harness(target_url, staging_url, tmp_path)
    settings = SessionSettings(executor=ExecutorSettings(lock_timeout_ms=50, max_lock_retries=1))
    harness.context = dataclasses.replace(harness.context, settings=settings)
    waiting = harness.start("ALTER TABLE users ADD COLUMN nickname text;")
    assert waiting.waiting

    with psycopg.connect(target_url) as blocker:
        blocker.execute("SELECT count(*) FROM users")  # an open transaction holding users
        asked_again = harness.approve()
        blocker.rollback()

    assert asked_again.waiting, asked_again.values.get("error")
    assert harness.nodes_run()[-3:] == ["execute", "advise", "__interrupt__"], "back at the approval"
    assert asked_again.values["advice"]["action"] == "retry"
    assert asked_again.values["execution_attempts"] == 1

    done = harness.approve()

    assert done.status == "done", done.values.get("error")
    with psycopg.connect(target_url) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'users' AND column_name = 'nickname'"
        ).fetchone()
    assert columns == (1,)
    out = harness.context.session_dir(harness.session_id)
    earlier = out / "earlier-run-1" / MONITORING_MD  # the failed run's report, kept for the audit
    assert earlier.exists() and not (out / "earlier-run-2").exists()
    assert "earlier-run-1/MIGRATION-MONITORING.md" in (out / MONITORING_MD).read_text()


class RevisingFakeModel(RoutedFakeModel):
    """Proposes a CHECK the production data violates; after the failure, revises it to NOT VALID."""

    def _planner(self, body):  # type: ignore[no-untyped-def]
        if len(body["messages"]) == 1:
            self.planner_rounds += 1
        revised = "NOT VALID" in str(body["system"]) + str(body["messages"])
        sql = REVISED_SQL if revised else CHECK_SQL
        result = {"sql": sql, "rationale": "no negative reputation", "risks": []}
        return message(tool_use("submit_result", result, f"tu_plan_{self.planner_rounds}"))

    def _executor(self, body):  # type: ignore[no-untyped-def]
        advice = {
            "action": "revise",
            "explanation": "existing rows violate the check: add it NOT VALID so only new rows are checked",
            "revised_sql": REVISED_SQL,
        }
        return message(tool_use("submit_result", advice, "tu_revise"))


REVISED_SQL = (
    "ALTER TABLE users ADD CONSTRAINT users_reputation_non_negative CHECK (reputation >= 0) NOT VALID;"
)


def test_a_revised_step_is_rolled_back_re_planned_and_approved_again(
    database_url: str, staging_url: str, tmp_path: Path
) -> None:
    from tests.graph.conftest import create_schema

    create_schema(database_url, rows=50, negative_reputation=True)
    harness = Harness(database_url, staging_url, tmp_path)
    fake = RevisingFakeModel()
    brain = ClaudeBrain(model="claude-fake", client=fake.client())
    harness.context = dataclasses.replace(harness.context, brain=brain)
    before = fingerprint(database_url)
    first = harness.start(CHECK_SQL)
    assert first.waiting
    first_hash = first.values["plan_hash"]

    revised = harness.approve()

    assert revised.waiting, revised.values.get("error")
    assert harness.nodes_run().count("rollback") == 1
    assert fingerprint(database_url) == before, "rolled back before re-planning"
    assert revised.values["plan_hash"] != first_hash, "a revised plan needs its own approval"
    steps = revised.values["plan"]["steps"]
    assert any("NOT VALID" in sql for step in steps for sql in step["sql"])

    done = harness.approve()

    assert done.status == "done", done.values.get("error")
    with psycopg.connect(database_url) as conn:
        validated = conn.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'users_reputation_non_negative'"
        ).fetchone()
    assert validated == (False,), "the revised plan added the check NOT VALID"
