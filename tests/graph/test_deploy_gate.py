"""The session follows the release: after migrate it stops at the deploy gate; contract has its own yes.

Why: a rename's contract drops the column the old application release reads. The database would never
block, but the application would break — so nothing the old release uses is removed until a person
answers the deploy gate and the target shows the old release gone (or the operator vouches for it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.graph.conftest import Harness, create_schema, fingerprint
from zdt.db.scratch import scratch_database
from zdt.executor import MigrationStatus, migration_status
from zdt.graph.context import RolloutSettings, SessionSettings
from zdt.graph.runner import contract_decision, decision

RENAME = "ALTER TABLE users RENAME COLUMN email TO email_address;"
QUICK = SessionSettings(rollout=RolloutSettings(observe_s=0.5))


def _columns(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 "
            "AND NOT attisdropped"
        ).fetchall()
    return {name for (name,) in rows}


@pytest.fixture
def gated(target_url: str, staging_url: str, tmp_path: Path) -> Harness:
    """A rename session approved once: expand and migrate ran, it waits at the deploy gate."""
    harness = Harness(target_url, staging_url, tmp_path, settings=QUICK)
    harness.start(RENAME)
    harness.approve()
    return harness


def test_a_rename_stops_at_the_deploy_gate_with_nothing_removed(gated: Harness) -> None:
    waiting = gated.now()

    assert waiting.at_deploy_gate and waiting.status == "awaiting_deploy"
    assert {"email", "email_address"} <= _columns(gated.target_url), "both releases still work"
    [record] = migration_status(gated.target_url)
    assert record.status == MigrationStatus.PARTIAL
    assert record.stage.startswith("waiting for deploy: contract (1 step(s))")
    assert {step.status for step in record.steps if step.phase == "contract"} == {"pending"}
    pending = waiting.pending
    assert pending is not None
    assert pending["retired"] == ["column public.users.email"]
    assert pending["contract_hash"] and pending["plan_hash"] == waiting.values["plan_hash"]
    assert gated.nodes_run()[-3:] == ["execute", "verify", "__interrupt__"]


def test_contract_on_the_operators_word_finishes_the_rename(gated: Harness) -> None:
    done = gated.decide_contract(old_release_gone=True, by="oncall")

    assert done.status == "done" and not done.waiting
    assert "email" not in _columns(gated.target_url) and "email_address" in _columns(gated.target_url)
    [record] = migration_status(gated.target_url)
    assert record.status == MigrationStatus.DONE and record.stage == "contracted"
    assert gated.nodes_run()[-5:] == ["release_check", "contract", "verify", "deploy_gate", "done"]
    contract_approval = done.values["approvals"][-1]
    assert contract_approval["phase"] == "contract" and contract_approval["by"] == "oncall"
    assert done.values["release_evidence"]["verdict"] == "unknown"
    assert any("oncall's word" in entry["message"] for entry in done.values["log"])


def test_without_evidence_or_the_operators_word_contract_waits(gated: Harness) -> None:
    again = gated.decide_contract()

    assert again.at_deploy_gate and again.status == "awaiting_deploy"
    assert "email" in _columns(gated.target_url)
    evidence = again.values["release_evidence"]
    assert evidence["verdict"] == "unknown" and "pg_stat_statements" in evidence["statements_note"]
    assert again.pending is not None and again.pending["evidence"]["summary"] == evidence["summary"]


def test_rejecting_at_the_deploy_gate_rolls_back_completely(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    harness = Harness(target_url, staging_url, tmp_path, settings=QUICK)
    before = fingerprint(target_url)
    harness.start(RENAME)
    harness.approve()

    ended = harness.decide_contract(approved=False, comment="the new release failed its canary")

    assert ended.status == "rolled_back"
    assert fingerprint(target_url) == before
    assert ended.values["rollback"]["ok"]
    assert [record.stage for record in migration_status(target_url)] == ["rolled back"]
    assert "the new release failed its canary" in ended.values["error"]


def test_a_plan_approval_or_another_contract_does_not_pass_the_gate(gated: Harness) -> None:
    pending = gated.now().pending
    assert pending is not None

    after_plan_yes = gated.drive(decision(True, pending["plan_hash"], "tester"))
    forged = dict(pending, contract_hash="0" * 64)
    after_forged = gated.drive(contract_decision(True, forged, "tester", old_release_gone=True))

    assert after_plan_yes.at_deploy_gate and after_forged.at_deploy_gate
    assert "email" in _columns(gated.target_url)
    messages = [entry["message"] for entry in after_forged.values["log"] if entry["node"] == "deploy_gate"]
    assert any("answered the plan gate" in message for message in messages)
    assert any("contract hash 000000000000" in message for message in messages)


class _OldRelease:
    """The old application release, reading the old column until it is stopped."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.failures: list[str] = []

    def _run(self) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn:
            while not self._stop.is_set():
                try:
                    conn.execute("SELECT id, email FROM users WHERE id = %s", [1])
                except psycopg.Error as error:  # what a contract run too early does to it
                    self.failures.append(type(error).__name__)
                    return
                self._stop.wait(0.02)

    def __enter__(self) -> _OldRelease:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def statements_staging_url(statements_admin_url: str) -> Iterator[str]:
    """Staging on the target's own server: the plan's recipes are chosen for the target's major version."""
    with scratch_database(statements_admin_url, prefix="zdt_staging") as url:
        create_schema(url)
        yield url


@pytest.fixture
def watched(statements_database_url: str, statements_staging_url: str, tmp_path: Path) -> Iterator[Harness]:
    create_schema(statements_database_url, rows=300)
    harness = Harness(statements_database_url, statements_staging_url, tmp_path, settings=QUICK)
    harness.start(RENAME)
    harness.approve()
    yield harness


def test_contract_is_refused_while_the_old_release_runs_and_allowed_once_it_stops(watched: Harness) -> None:
    with _OldRelease(watched.target_url) as old:
        refused = watched.decide_contract()

        assert refused.at_deploy_gate
        evidence = refused.values["release_evidence"]
        assert evidence["verdict"] == "in_use"
        [use] = evidence["statements"]
        assert "email FROM users" in use["query"] and use["calls_after"] > use["calls_before"]
        assert "email" in _columns(watched.target_url)

    assert old.failures == [], "the old release ran undisturbed until it stopped"
    done = watched.decide_contract()

    assert done.status == "done", done.values.get("error")
    assert done.values["release_evidence"]["verdict"] == "gone"
    assert "email" not in _columns(watched.target_url)


def test_force_contract_runs_despite_the_evidence_and_says_why(watched: Harness) -> None:
    with _OldRelease(watched.target_url) as old:
        done = watched.decide_contract(force_reason="old pods are draining, their reads are cached")

    assert done.status == "done"
    assert old.failures == ["UndefinedColumn"], "forcing it broke the old release, as the evidence said"
    assert done.values["release_evidence"]["verdict"] == "in_use"
    forced = [entry["message"] for entry in done.values["log"] if entry["node"] == "release_check"]
    assert forced and "contract forced by tester (old pods are draining" in forced[-1]


def test_a_failed_contract_returns_to_the_gate_and_a_retry_finishes_it(gated: Harness) -> None:
    with psycopg.connect(gated.target_url) as blocker:  # a long reader holds users: DROP COLUMN must wait
        blocker.execute("SELECT count(*) FROM users")
        failed = gated.decide_contract(old_release_gone=True)

        assert failed.at_deploy_gate, failed.status
        assert "email" in _columns(gated.target_url), "the failed step left the database as it was"
        assert failed.pending is not None and failed.pending["error"]
        blocker.rollback()

    done = gated.decide_contract(old_release_gone=True)

    assert done.status == "done", done.values.get("error")
    assert "email" not in _columns(gated.target_url)
