"""prepare_query, the compatibility check: PREPARE on a real server, nothing runs."""

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
