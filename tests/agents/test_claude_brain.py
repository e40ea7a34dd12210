"""The Claude brain through the REAL anthropic SDK against a local fake Messages API.

What is proven here: the wire format the SDK sends (cached system prompt, tools with the agent's result
schema as submit_result, assistant turns, tool_result blocks with is_error), the tool loop through the
ToolBox seam on a real database, the SDK's own retries on 429/529, the bounds (invalid submissions,
turns), and per-call usage reporting.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.agents.fake_api import FakeMessagesAPI, error, message, says, text, tool_results, tool_use
from zdt.agents import (
    AgentError,
    ExecutorAgent,
    ModelCall,
    PlannerAgent,
    SubmissionRejected,
    TurnLimitReached,
    run_agent,
)
from zdt.agents.brains import ClaudeBrain, ModelCallFailed
from zdt.agents.results import PlannerResult
from zdt.tools import ToolContext, build_toolbox
from zdt.tools.execute import PRODUCTION_REFUSAL

SQL = "ALTER TABLE users ADD COLUMN badge text NOT NULL DEFAULT 'none'"
GOOD = {"sql": SQL, "rationale": "adds the badge column", "risks": ["users: authentication data"]}
CONTEXT = {"session_id": "s-claude", "prompt": "give every user a badge"}


def _run(api: FakeMessagesAPI, ctx: ToolContext, calls: list[ModelCall] | None = None, **kw: Any):
    brain = ClaudeBrain(
        client=api.client(kw.pop("max_retries", 0)),
        model="claude-test",
        observers=[calls.append] if calls is not None else [],
        **kw,
    )
    return run_agent(PlannerAgent(), CONTEXT, brain, build_toolbox("planner", ctx))


def _count_users(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM users").fetchone()
        assert row is not None
        return int(row[0])


def test_multi_turn_tool_use_ends_in_a_validated_result(tool_context: ToolContext) -> None:
    def turn3(request: dict[str, Any]) -> Any:
        (analysis,) = tool_results(request)
        assert not analysis["is_error"], analysis
        statements = json.loads(analysis["content"])["statements"]
        assert statements[0]["target"] == "public.users"
        return message(text("Submitting."), tool_use("submit_result", GOOD, "tu_3"))

    api = FakeMessagesAPI(
        says(message(text("Let me look."), tool_use("inspect_schema", {}, "tu_1"))),
        says(message(tool_use("analyse_sql", {"sql": SQL}, "tu_2"))),
        turn3,
    )
    result = _run(api, tool_context)

    assert isinstance(result, PlannerResult) and result.sql == SQL
    first, second, third = api.requests
    assert first["model"] == "claude-test"
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Database Migration Planner" in first["system"][0]["text"]
    names = [tool["name"] for tool in first["tools"]]
    assert names[:2] == ["inspect_schema", "analyse_sql"] and names[-1] == "submit_result"
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert first["tools"][-1]["input_schema"] == PlannerResult.model_json_schema()
    assert first["messages"] == [{"role": "user", "content": PlannerAgent().task_message(CONTEXT)}]
    # the assistant turn is sent back verbatim, then a tool_result answering its tool_use
    assert second["messages"][1] == {
        "role": "assistant",
        "content": [text("Let me look."), tool_use("inspect_schema", {}, "tu_1")],
    }
    (schema_result,) = tool_results(second)
    assert schema_result["tool_use_id"] == "tu_1" and schema_result["is_error"] is False
    assert "public.users (table, ~500 rows" in schema_result["content"]
    assert len(third["messages"]) == 5
    assert third["system"] == first["system"] and third["tools"] == first["tools"]  # cache stays valid


def test_adversarial_model_cannot_write(tool_context: ToolContext) -> None:
    dbname = conninfo_to_dict(tool_context.target_url)["dbname"]
    attacks = [f"DROP DATABASE {dbname}", "DROP DATABASE prod", "SELECT 1; DROP TABLE users"]

    def submit(request: dict[str, Any]) -> Any:
        results = tool_results(request)
        assert len(results) == 3 and all(r["is_error"] for r in results), results
        assert "dropping a database is never allowed" in results[0]["content"]
        assert "expected exactly one statement, got 2" in results[2]["content"]
        return message(tool_use("submit_result", GOOD, "tu_9"))

    api = FakeMessagesAPI(
        says(
            message(*[tool_use("run_readonly_sql", {"sql": sql}, f"tu_{i}") for i, sql in enumerate(attacks)])
        ),
        submit,
    )
    _run(api, tool_context)
    assert _count_users(tool_context.target_url) == 500
    with psycopg.connect(tool_context.target_url) as conn:
        assert conn.execute("SELECT to_regclass('public.users') IS NOT NULL").fetchone() == (True,)


def test_sdk_retries_429_then_529(tool_context: ToolContext) -> None:
    calls: list[ModelCall] = []
    api = FakeMessagesAPI(
        says(error(429, "rate_limit_error")),
        says(error(529, "overloaded_error")),
        says(message(tool_use("submit_result", GOOD, "tu_1"))),
    )
    result = _run(api, tool_context, calls, max_retries=2)
    assert result.sql == SQL
    assert [h["x-stainless-retry-count"] for h in api.headers] == ["0", "1", "2"]
    assert api.requests[0] == api.requests[2]  # the same request, resent by the SDK
    assert len(calls) == 1  # the retries are the SDK's, inside one model call


def test_retries_exhausted_is_a_clear_error(tool_context: ToolContext) -> None:
    api = FakeMessagesAPI(says(error(529, "overloaded_error")), says(error(529, "overloaded_error")))
    with pytest.raises(ModelCallFailed, match=r"Claude API call failed: .*529"):
        _run(api, tool_context, max_retries=1)
    assert len(api.requests) == 2


def test_malformed_tool_input_is_answered_and_the_loop_continues(tool_context: ToolContext) -> None:
    def submit(request: dict[str, Any]) -> Any:
        wrong_type, missing, unknown = tool_results(request)
        assert wrong_type["is_error"] and "invalid input for inspect_schema" in wrong_type["content"]
        assert missing["is_error"] and "invalid input for analyse_sql" in missing["content"]
        assert "Field required" in missing["content"]
        assert unknown["is_error"] and "unknown tool 'drop_everything'" in unknown["content"]
        return message(tool_use("submit_result", GOOD, "tu_4"))

    api = FakeMessagesAPI(
        says(
            message(
                tool_use("inspect_schema", {"tables": "users", "format": 7}, "tu_1"),
                tool_use("analyse_sql", {}, "tu_2"),
                tool_use("drop_everything", {}, "tu_3"),
            )
        ),
        submit,
    )
    assert _run(api, tool_context).sql == SQL


def test_invalid_submission_gets_the_validation_error_then_a_correction_is_accepted(
    tool_context: ToolContext,
) -> None:
    def corrected(request: dict[str, Any]) -> Any:
        (rejection,) = tool_results(request)
        assert rejection["is_error"] is True
        assert "invalid result, not accepted" in rejection["content"]
        assert "sql" in rejection["content"] and "risks" in rejection["content"]
        return message(tool_use("submit_result", GOOD, "tu_2"))

    api = FakeMessagesAPI(
        says(message(tool_use("submit_result", {"rationale": "x", "risks": "not a list"}, "tu_1"))), corrected
    )
    assert _run(api, tool_context) == PlannerResult.model_validate(GOOD)


def test_too_many_invalid_submissions_raise(tool_context: ToolContext) -> None:
    bad = message(tool_use("submit_result", {"sql": 1}, "tu_x"))
    api = FakeMessagesAPI(*[says(bad)] * 3)
    with pytest.raises(SubmissionRejected, match="3 submissions failed validation against PlannerResult"):
        _run(api, tool_context, max_invalid_submissions=2)
    assert len(api.requests) == 3


def test_turn_limit_and_nudge(tool_context: ToolContext) -> None:
    def chatty(request: dict[str, Any]) -> Any:
        return message(text("I think the plan is fine."))

    api = FakeMessagesAPI(chatty, chatty, chatty)
    with pytest.raises(TurnLimitReached, match="within 3 model turns"):
        _run(api, tool_context, max_turns=3)
    assert "Call submit_result now" in api.requests[1]["messages"][-1]["content"]


def test_usage_is_reported_per_call(tool_context: ToolContext) -> None:
    calls: list[ModelCall] = []
    api = FakeMessagesAPI(
        says(
            message(tool_use("inspect_schema", {}, "tu_1"), input_tokens=1200, output_tokens=40, created=1100)
        ),
        says(message(tool_use("submit_result", GOOD, "tu_2"), input_tokens=90, output_tokens=60, read=1100)),
    )
    _run(api, tool_context, calls)
    assert [
        (c.input_tokens, c.output_tokens, c.cache_creation_input_tokens, c.cache_read_input_tokens)
        for c in calls
    ] == [(1200, 40, 1100, 0), (90, 60, 0, 1100)]
    assert [c.stop_reason for c in calls] == ["tool_use", "tool_use"]
    assert all(c.agent == "planner" and c.model == "claude-fake" and c.duration_ms > 0 for c in calls)


def test_brain_name_and_no_key_in_repr() -> None:
    api = FakeMessagesAPI()
    brain = ClaudeBrain(client=api.client(), model="claude-x")
    assert brain.name == "claude (claude-x)"
    assert "test-key-not-secret" not in repr(brain)


def test_refusal_ends_the_run(tool_context: ToolContext) -> None:
    api = FakeMessagesAPI(says(message(text("I can't help with that."), stop_reason="refusal")))
    with pytest.raises(AgentError, match="the model refused"):
        _run(api, tool_context)
    assert len(api.requests) == 1


def test_model_cannot_write_production_or_escape_the_scratchpad(tool_context: ToolContext) -> None:
    """The executor agent's model, in production but outside the approved node, and off the pad."""
    ctx = replace(tool_context, environment="production", production_approved=False)
    advice = {"action": "retry", "explanation": "lock contention"}

    def submit(request: dict[str, Any]) -> Any:
        execute, escape = tool_results(request)
        assert execute["is_error"] and execute["content"] == PRODUCTION_REFUSAL
        assert escape["is_error"] and "inside the scratchpad folder" in escape["content"]
        return message(tool_use("submit_result", advice, "tu_3"))

    api = FakeMessagesAPI(
        says(
            message(
                tool_use("execute_step", {"phase": "contract"}, "tu_1"),
                tool_use("read_scratchpad", {"name": "../../../etc/passwd"}, "tu_2"),
            )
        ),
        submit,
    )
    brain = ClaudeBrain(client=api.client(), model="claude-test")
    context = {"session_id": "s", "failure": "lock not granted"}
    result = run_agent(ExecutorAgent(), context, brain, build_toolbox("executor", ctx))
    assert result.action == "retry"
    assert [t["name"] for t in api.requests[0]["tools"]][-1] == "submit_result"
    assert "Migration Execution Agent" in api.requests[0]["system"][0]["text"]


def test_no_password_reaches_the_model(tool_context: ToolContext) -> None:
    """Tool outputs, errors and prompts sent to the API never carry the connection's password."""
    secret = "sekrit-pw-31337"
    ctx = replace(tool_context, target_url=make_conninfo(tool_context.target_url, password=secret))
    api = FakeMessagesAPI(
        says(
            message(
                tool_use("inspect_schema", {}, "tu_1"),
                tool_use("run_readonly_sql", {"sql": "SELECT * FROM pg_stat_activity"}, "tu_2"),
                tool_use("run_readonly_sql", {"sql": "SELECT * FROM no_such_table"}, "tu_3"),
                tool_use("inspect_schema", {"database": "staging"}, "tu_4"),
            )
        ),
        says(message(tool_use("submit_result", GOOD, "tu_5"))),
    )
    _run(api, ctx)
    assert secret not in json.dumps(api.requests)
    assert len(tool_results(api.requests[1])) == 4
