"""What happens when things go wrong: a failing step rolls back, a stale approval is refused, bad SQL stops.

Why: the safety of a session is decided on these paths, not on the happy one. A step that fails in
production (here: data the rehearsal copy did not have) must leave the schema exactly as it was, proven
by its fingerprint; and ``execute`` must refuse on its own, however it was reached, a plan that is not
the one approved.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.graph.conftest import Harness, create_schema, fingerprint
from zdt.executor import migration_status
from zdt.graph.rehearsal import rehearsal_database
from zdt.graph.runner import config_for
from zdt.graph.state import Approval
from zdt.plan.model import MigrationPlan

CHECK_SQL = "ALTER TABLE users ADD CONSTRAINT users_reputation_non_negative CHECK (reputation >= 0);"


@pytest.fixture
def dirty_target(database_url: str) -> str:
    """The target holds a row the new constraint rejects; the rehearsal (schema only) cannot know."""
    create_schema(database_url, rows=50, negative_reputation=True)
    return database_url


def test_a_failing_step_rolls_back_to_the_prior_fingerprint(
    dirty_target: str, staging_url: str, tmp_path: Path
) -> None:
    harness = Harness(dirty_target, staging_url, tmp_path)
    before = fingerprint(dirty_target)
    assert harness.start(CHECK_SQL).waiting, "the rehearsal on the clean copy passed"

    ended = harness.approve()

    assert ended.status == "rolled_back", ended.values.get("error")
    assert harness.nodes_run()[-3:] == ["execute", "advise", "rollback"]
    assert fingerprint(dirty_target) == before
    rollback = ended.values["rollback"]
    assert rollback["ok"] and rollback["fingerprint_after"] == rollback["fingerprint_before"]
    assert rollback["advice"]["action"] == "rollback"
    assert "users_reputation_non_negative" in ended.values["execution"]["message"]
    [record] = migration_status(dirty_target)
    assert record.status == "rolled_back"


def test_execute_refuses_a_plan_other_than_the_approved_one(harness: Harness) -> None:
    before = fingerprint(harness.target_url)
    waiting = harness.start("ALTER TABLE users ADD COLUMN nickname text;")
    approved_hash = waiting.values["plan_hash"]
    plan = MigrationPlan.model_validate(waiting.values["plan"])
    swapped = plan.model_copy(update={"id": "m-swapped"})  # another plan, validly stamped by itself
    swapped = swapped.model_copy(update={"checked_hash": swapped.content_hash()})
    approval = Approval(approved=True, plan_hash=approved_hash, by="tester").model_dump(mode="json")
    # As if the approval node had approved the original plan while another one sat in the state.
    harness.graph.update_state(
        config_for(harness.session_id),
        {
            "plan": swapped.model_dump(mode="json"),
            "plan_hash": swapped.checked_hash,
            "approvals": [approval],
            "route": "next",
        },
        as_node="approval",
    )
    assert harness.graph.get_state(config_for(harness.session_id)).next == ("execute",)

    ended = harness.drive(None)

    assert ended.status == "failed"
    assert "refused to touch production" in ended.values["error"]
    assert approved_hash[:12] in ended.values["error"]
    assert fingerprint(harness.target_url) == before
    assert migration_status(harness.target_url) == []


def test_sql_the_gate_never_passes_stops_after_the_planning_rounds(harness: Harness) -> None:
    ended = harness.start("TRUNCATE users;")

    assert ended.status == "failed" and not ended.waiting
    assert harness.nodes_run().count("planner") == 3
    assert "no plan passed the gate in 3 rounds" in ended.values["error"]
    assert "TruncateStmt" in ended.values["error"]
    assert "rehearse" not in harness.nodes_run()


def test_a_request_in_words_needs_a_model(harness: Harness) -> None:
    ended = harness.start(sql="")

    assert ended.status == "failed"
    assert "ANTHROPIC_API_KEY" in ended.values["error"]


def test_the_default_rehearsal_runs_on_an_embedded_copy(target_url: str, tmp_path: Path) -> None:
    harness = Harness(target_url, None, tmp_path)
    waiting = harness.start("CREATE INDEX idx_users_reputation ON users (reputation);")

    rehearsal = waiting.values["rehearsal"]
    assert rehearsal["where"].startswith("embedded PostgreSQL")
    assert rehearsal["ok"] and rehearsal["rollback"]["schema_restored"]
    assert rehearsal["rollback_scope"] == "the whole plan"
    assert rehearsal["forward_again"]["ok"] and rehearsal["final_rollback"]["schema_restored"]
    with psycopg.connect(target_url) as conn:
        assert conn.execute("SELECT to_regclass('idx_users_reputation')").fetchone() == (None,)


def test_a_staging_server_older_than_the_target_is_refused_before_anything_runs(
    target_url: str, staging_url: str, server_version: int
) -> None:
    """The plan is written for the target's major version; an older staging cannot rehearse it."""
    newer = server_version + 1
    refusal = rf"runs PostgreSQL {server_version} and the target {newer}"
    with (
        pytest.raises(ValueError, match=refusal),
        rehearsal_database(target_url, staging_url, target_version=newer),
    ):
        pytest.fail("an older staging server was used for the rehearsal")
    with rehearsal_database(target_url, staging_url, target_version=server_version) as database:
        assert database.url == staging_url and f"PostgreSQL {server_version}" in database.where
