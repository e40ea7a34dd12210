"""A whole session on the Claude brain: the real anthropic client against a local fake Messages API.

The fake planner is adversarial on its first round: it proposes a plain CREATE INDEX and a DROP DATABASE.
The gate must turn the index into CREATE INDEX CONCURRENTLY, and refuse the DROP DATABASE, sending the
reason back; the second round proposes only the index, and the session finishes safely. Every agent's
calls travel through the SDK's wire format, tool_use blocks included.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anthropic
import httpx2
import psycopg

from tests.agents.fake_api import message, text, tool_use
from tests.graph.conftest import Harness, fingerprint
from zdt.agents.brains import ClaudeBrain
from zdt.db.urls import redact
from zdt.graph.runner import initial_state
from zdt.graph.state import SessionRequest

ADVERSARIAL_SQL = "CREATE INDEX idx_users_email ON users (email);\nDROP DATABASE prod;"
SAFE_SQL = "CREATE INDEX idx_users_email ON users (email);"


def _agent_of(body: dict[str, Any]) -> str:
    """Which agent is calling, from the tools it was given (each agent has its own set)."""
    names = {tool["name"] for tool in body.get("tools", [])}
    if "execute_step" in names:
        return "executor"
    if "check_compatibility" in names:
        return "compatibility"
    if "sample_metrics" in names:
        return "monitor"
    return "planner"


class RoutedFakeModel:
    """A fake Claude that answers each agent from its own script, reading what it was sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.planner_rounds = 0

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        agent = _agent_of(body)
        self.requests.append((agent, body))
        reply = getattr(self, f"_{agent}")(body)
        return httpx2.Response(200, json=reply.body)

    def client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key="test-key-not-secret",
            base_url="http://fake.local",
            max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(self.handler)),
        )

    def _planner(self, body: dict[str, Any]) -> Any:
        turn = len(body["messages"])
        if turn == 1:  # a new round: look at the schema first
            self.planner_rounds += 1
            return message(text("Let me look at the schema."), tool_use("inspect_schema", {}, "tu_schema"))
        sql = ADVERSARIAL_SQL if self.planner_rounds == 1 else SAFE_SQL
        result = {"sql": sql, "rationale": "index the email lookups", "risks": ["users is an auth table"]}
        return message(tool_use("submit_result", result, f"tu_submit_{self.planner_rounds}"))

    def _compatibility(self, body: dict[str, Any]) -> Any:
        result = {"verdict": "compatible", "checks": [], "summary": "an added index changes no query result"}
        return message(tool_use("submit_result", result, "tu_compat"))

    def _monitor(self, body: dict[str, Any]) -> Any:
        return message(
            tool_use("submit_result", {"level": "ok", "reasons": [], "summary": "quiet"}, "tu_mon")
        )

    def _executor(self, body: dict[str, Any]) -> Any:
        advice = {"action": "rollback", "explanation": "the step failed"}
        return message(tool_use("submit_result", advice, "tu_exec"))


def test_claude_session_stops_unsafe_sql_and_finishes_safely(harness: Harness) -> None:
    fake = RoutedFakeModel()
    brain = ClaudeBrain(model="claude-fake", client=fake.client())
    harness.context = dataclasses.replace(harness.context, brain=brain)
    before = fingerprint(harness.target_url)
    request = SessionRequest(
        prompt="speed up login by email",
        target=redact(harness.target_url),
        staging=redact(harness.staging_url or ""),
    )
    waiting = harness.drive(initial_state(harness.session_id, brain.name, "claude", request))

    assert waiting.waiting, waiting.values.get("error")
    assert fake.planner_rounds == 2, "the gate sent the first proposal back"
    second_round = [body for agent, body in fake.requests if agent == "planner"][-2]
    assert "DROP DATABASE" in json.dumps(second_round["system"]) + json.dumps(second_round["messages"])
    plan = waiting.values["plan"]
    forward = [sql for step in plan["steps"] for sql in step["sql"]]
    assert forward == ["CREATE INDEX CONCURRENTLY idx_users_email ON users (email)"]
    assert fingerprint(harness.target_url) == before

    done = harness.approve()

    assert done.status == "done"
    with psycopg.connect(harness.target_url) as conn:
        valid = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_users_email'::regclass"
        ).fetchone()
        databases = conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'prod'").fetchone()
    assert valid == (True,)
    assert databases == (0,)
    assert done.values["brain"] == "claude (claude-fake)"
    first = fake.requests[0][1]
    assert first["system"][-1]["cache_control"] == {"type": "ephemeral"}
    tool_results = [
        block
        for _, body in fake.requests
        for turn in body["messages"]
        if turn["role"] == "user" and isinstance(turn["content"], list)
        for block in turn["content"]
        if block.get("type") == "tool_result"
    ]
    assert tool_results and all("test-key-not-secret" not in json.dumps(block) for block in tool_results)
