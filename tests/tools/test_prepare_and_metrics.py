"""prepare_query (the compatibility check) and sample_metrics on a real server."""

from __future__ import annotations

import json

import psycopg
import pytest

from zdt.tools import ToolContext, build_toolbox


@pytest.fixture
def compat_tools(tool_context: ToolContext):
    return build_toolbox("compatibility", tool_context)


def test_prepare_reports_parameter_types(compat_tools) -> None:
    result = compat_tools.call("prepare_query", {"sql": "SELECT email FROM users WHERE id = $1"})
    assert json.loads(result.content) | {"database": None} == {
        "database": None,
        "prepares": True,
        "parameter_types": ["bigint"],
    }


def test_prepare_of_a_broken_query_is_an_answer_not_an_error(compat_tools) -> None:
    result = compat_tools.call("prepare_query", {"sql": "SELECT nickname FROM users WHERE id = $1"})
    assert not result.is_error
    answer = json.loads(result.content)
    assert answer["prepares"] is False and 'column "nickname" does not exist' in answer["error"]


def test_prepare_analyses_writes_without_running_them(compat_tools, tool_context: ToolContext) -> None:
    result = compat_tools.call("prepare_query", {"sql": "DELETE FROM votes WHERE user_id = $1"})
    assert json.loads(result.content)["prepares"] is True
    with psycopg.connect(tool_context.target_url) as conn:
        assert conn.execute("SELECT count(*) FROM votes").fetchone() == (300,)


@pytest.mark.parametrize("sql", ["DROP TABLE users", "SELECT 1; DELETE FROM users", "CREATE TABLE t (a int)"])
def test_prepare_refuses_non_queries(compat_tools, sql: str) -> None:
    assert compat_tools.call("prepare_query", {"sql": sql}).is_error


def test_sample_metrics(tool_context: ToolContext) -> None:
    result = build_toolbox("monitor", tool_context).call("sample_metrics", {})
    assert not result.is_error, result.content
    sample = json.loads(result.content)
    assert sample["connections"] >= 1 and sample["max_connections"] >= sample["connections"]
    assert sample["waiting_on_locks"] == 0
    assert "query" not in json.dumps(sample).replace("longest_query_s", "")


def test_sample_metrics_sees_a_lock_wait(tool_context: ToolContext) -> None:
    import threading

    holder = psycopg.connect(tool_context.target_url)
    holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    waiter = psycopg.connect(tool_context.target_url, autocommit=True)
    thread = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM users"))
    thread.start()
    try:
        for _ in range(50):
            sample = json.loads(build_toolbox("monitor", tool_context).call("sample_metrics", {}).content)
            if sample["waiting_on_locks"]:
                break
        assert sample["waiting_on_locks"] == 1
    finally:
        holder.rollback()
        thread.join()
        holder.close()
        waiter.close()
