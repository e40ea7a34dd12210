"""The session record from the graph's side: a Claude session through the fake Messages API records
every model request with its usage and cost (and without the secrets a model echoed), and an offline
session records its plugin node's input and output; both chains verify, and the checkpoint keeps the head.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from tests.agents.fake_api import message, text, tool_use
from tests.graph.conftest import Harness, create_schema
from tests.graph.test_claude_session import ADVERSARIAL_SQL, SAFE_SQL, RoutedFakeModel
from tests.graph.test_deploy_gate import QUICK, RENAME
from tests.graph.test_failures import CHECK_SQL
from zdt.agents.brains import ClaudeBrain
from zdt.config import ModelPrice
from zdt.db.urls import redact
from zdt.graph.extra import ExtraNode
from zdt.graph.runner import initial_state
from zdt.graph.state import SessionRequest, SessionState
from zdt.record.log import read_events
from zdt.record.prices import PriceTable
from zdt.record.recorder import Recorder
from zdt.record.redact import Redactor
from zdt.record.summary import build_summary
from zdt.record.verify import verify_log

FAKE_KEY = "sk-ant-api03-" + "ModelEchoedThisKey_" + "y" * 16
LEAKED_URL = "postgresql://app:hunter2-in-a-url@db.internal:5432/prod"


class EchoingFakeModel(RoutedFakeModel):
    """The routed fake, whose planner also says a connection string and an API key aloud."""

    def _planner(self, body: dict[str, Any]) -> Any:
        turn = len(body["messages"])
        if turn == 1:
            self.planner_rounds += 1
            words = f"I will not use {LEAKED_URL} nor {FAKE_KEY}; the schema first."
            return message(text(words), tool_use("inspect_schema", {}, "tu_schema"))
        sql = ADVERSARIAL_SQL if self.planner_rounds == 1 else SAFE_SQL
        result = {"sql": sql, "rationale": "index the email lookups", "risks": ["users is an auth table"]}
        return message(tool_use("submit_result", result, f"tu_submit_{self.planner_rounds}"))


def _recorder(harness: Harness, tmp_path: Path, prices: PriceTable | None = None) -> Recorder:
    redactor = Redactor(
        urls=[harness.target_url, harness.staging_url], environ={"ANTHROPIC_API_KEY": FAKE_KEY}
    )
    return Recorder.open(tmp_path / "sessions", harness.session_id, redactor, prices)


def test_a_claude_session_records_model_requests_with_usage_and_cost(
    harness: Harness, tmp_path: Path
) -> None:
    fake = EchoingFakeModel()
    recorder = _recorder(harness, tmp_path, PriceTable({"claude-fake": ModelPrice(input=3.0, output=15.0)}))
    brain = ClaudeBrain(model="claude-fake", client=fake.client(), observers=[recorder.model_call])
    harness.context = dataclasses.replace(harness.context, brain=brain, recorder=recorder)
    request = SessionRequest(
        prompt="speed up login by email",
        target=redact(harness.target_url),
        staging=redact(harness.staging_url or ""),
    )
    harness.drive(initial_state(harness.session_id, brain.name, "claude", request))
    done = harness.approve()
    assert done.status == "done", done.values.get("error")

    report = verify_log(recorder.path)

    assert report.ok, report.problem
    assert done.values["record_head"] == report.head == recorder.head
    events = read_events(recorder.path)
    requests = [event for event in events if event.kind == "model_request"]
    assert len(requests) == len(fake.requests)
    first = requests[0]
    assert first.agent == "planner" and first.node == "planner"
    assert (first.data["input_tokens"], first.data["output_tokens"]) == (100, 20)
    assert first.data["cost_usd"] == (100 * 3.0 + 20 * 15.0) / 1_000_000
    assert first.data["model"] == "claude-fake" and first.data["stop_reason"] == "tool_use"
    assert len(first.data["system_sha256"]) == 64 and len(first.data["request_sha256"]) == 64
    assert first.data["message_offset"] == 0 and first.data["messages"][0]["role"] == "user"
    assert first.data["response"][1]["name"] == "inspect_schema"
    follow_up = requests[1]
    assert follow_up.data["message_offset"] == 1  # only the turns added since the first request
    assert [turn["role"] for turn in follow_up.data["messages"]] == ["assistant", "user"]
    assert follow_up.data["messages"][1]["content"][0]["type"] == "tool_result"
    tools = [event for event in events if event.kind == "tool_call"]
    assert any(event.data["tool"] == "inspect_schema" and event.agent == "planner" for event in tools)

    raw = recorder.path.read_text(encoding="utf-8")
    assert "hunter2-in-a-url" not in raw and FAKE_KEY not in raw
    assert "I will not use postgresql://app:***@db.internal:5432/prod nor ***;" in raw

    summary = build_summary(report, events)
    first_gate, second_gate = summary.gate
    assert not first_gate.passed and any("DROP DATABASE" in finding for finding in first_gate.findings)
    assert second_gate.passed and summary.approved_plan_hash == second_gate.plan_hash
    planner = next(usage for usage in summary.agents if usage.agent == "planner")
    assert planner.model_calls == 4 and planner.input_tokens == 400 and planner.unpriced_calls == 0
    assert summary.total.model_calls == len(fake.requests)
    assert summary.total.cost_usd == round(len(fake.requests) * 0.0006, 8)


def test_an_extra_node_is_recorded_with_its_input_and_output(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    def annotate(state: SessionState) -> dict[str, Any]:
        return {"risks": [*state.risks, "checked by the annotate plugin"]}

    harness = Harness(
        target_url, staging_url, tmp_path, extra_nodes=[ExtraNode("annotate", annotate, "rehearse")]
    )
    recorder = _recorder(harness, tmp_path)
    harness.context = dataclasses.replace(harness.context, recorder=recorder)

    waiting = harness.start("ALTER TABLE users ADD COLUMN badge_count integer;")

    assert waiting.waiting
    report = verify_log(recorder.path)
    assert report.ok, report.problem
    events = read_events(recorder.path)
    # the checkpoint holds the head as of the last finished step; the waiting node's events follow it
    stamped = [event.hash for event in events].index(waiting.values["record_head"])
    assert [(event.kind, event.node) for event in events[stamped + 1 :]] == [
        ("node_started", "approval"),
        ("node_waiting", "approval"),
    ]
    [extra] = [event for event in events if event.kind == "extra_node"]
    assert extra.node == "annotate" and len(extra.data["input_sha256"]) == 64
    assert "plan" in extra.data["input_keys"]
    assert extra.data["output"]["risks"][-1] == "checked by the annotate plugin"
    finished = {event.node: event for event in events if event.kind == "node_finished"}
    assert finished["annotate"].data["changed"]["risks"]["to"][-1] == "checked by the annotate plugin"
    assert {"plan", "plan_hash"} <= set(finished["plan_gate"].data["changed"])
    assert [event.node for event in events if event.kind == "node_waiting"] == ["approval"]
    [watched] = [event for event in events if event.kind == "monitor"]
    assert watched.node == "rehearse" and watched.data["run"] == "rehearse" and "alarms" in watched.data
    statements = [event.data for event in events if event.kind == "sql"]
    assert statements and {data["environment"] for data in statements} == {"staging"}  # the --staging-url run
    offline = [event for event in events if event.kind == "agent_result" and event.agent == "planner"]
    assert offline[0].data["result"]["sql"].startswith("ALTER TABLE users ADD COLUMN badge_count")

    again = harness.reject("add it in the next release", by="bob")  # back to the planner, then asked again

    assert again.waiting
    assert verify_log(recorder.path).ok
    [rejection] = [event for event in read_events(recorder.path) if event.kind == "approval"]
    assert (rejection.node, rejection.data["approved"], rejection.data["by"]) == ("approval", False, "bob")
    assert rejection.data["comment"] == "add it in the next release" and rejection.data["route"] == "replan"
    assert rejection.data["plan_hash"] == waiting.values["plan_hash"] and rejection.data["phase"] == "plan"


def test_a_failed_step_and_its_rollback_are_in_the_record(
    database_url: str, staging_url: str, tmp_path: Path
) -> None:
    create_schema(database_url, rows=50, negative_reputation=True)  # the constraint's validation fails
    harness = Harness(database_url, staging_url, tmp_path)
    recorder = _recorder(harness, tmp_path)
    harness.context = dataclasses.replace(harness.context, recorder=recorder)
    assert harness.start(CHECK_SQL).waiting

    ended = harness.approve(by="carol")

    assert ended.status == "rolled_back"
    report = verify_log(recorder.path)
    assert report.ok and ended.values["record_head"] == report.head
    summary = build_summary(report, read_events(recorder.path))
    failed = [s for s in summary.production_statements if s.outcome != "ok"]
    assert failed and failed[0].sqlstate == "23514" and failed[0].node == "execute"  # check_violation
    assert failed[0].step_id is not None and "VALIDATE CONSTRAINT" in failed[0].sql
    undo = [s for s in summary.production_statements if s.node == "rollback"]
    assert undo and all(s.outcome == "ok" for s in undo)
    [rollback] = summary.rollbacks
    assert rollback.ok and rollback.failure and "users_reputation_non_negative" in rollback.failure
    assert rollback.advice["action"] == "rollback"
    assert [d.by for d in summary.decisions] == ["carol"]
    assert [step.node for step in summary.timeline][-3:] == ["execute", "advise", "rollback"]


def test_the_contract_decision_is_recorded_with_its_phase_and_hashes(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    harness = Harness(target_url, staging_url, tmp_path, settings=QUICK)
    recorder = _recorder(harness, tmp_path)
    harness.context = dataclasses.replace(harness.context, recorder=recorder)
    harness.start(RENAME)
    gate = harness.approve(by="alice")
    assert gate.at_deploy_gate and gate.pending is not None

    done = harness.decide_contract(old_release_gone=True, by="oncall", comment="canary green")

    assert done.status == "done"
    report = verify_log(recorder.path)
    assert report.ok and done.values["record_head"] == report.head
    summary = build_summary(report, read_events(recorder.path))
    plan, contract = summary.decisions
    assert (plan.phase, plan.by, contract.phase, contract.by) == ("plan", "alice", "contract", "oncall")
    assert contract.contract_hash == gate.pending["contract_hash"] and contract.old_release_gone
    assert contract.comment == "canary green" and contract.plan_hash == plan.plan_hash
    assert [step.node for step in summary.timeline if step.waiting] == ["approval", "deploy_gate"]
    dropped = [s for s in summary.production_statements if s.node == "contract" and s.step_id]
    assert any("DROP COLUMN" in s.sql for s in dropped)
