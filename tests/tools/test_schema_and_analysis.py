"""inspect_schema and analyse_sql on a real database: sizes, structure, analyser reports."""

from __future__ import annotations

import json
from dataclasses import replace

from zdt.tools import ToolContext, build_toolbox


def test_inspect_schema_text_has_sizes_columns_and_keys(tool_context: ToolContext) -> None:
    result = build_toolbox("planner", tool_context).call("inspect_schema", {})
    assert not result.is_error, result.content
    text = result.content
    assert "public.users (table, ~500 rows," in text
    assert "  email text NOT NULL" in text
    assert "index public.users_pkey: CREATE UNIQUE INDEX users_pkey" in text
    assert "fk votes_election_id_fkey: FOREIGN KEY (election_id) REFERENCES elections(id)" in text
    assert "referenced by: public.votes" in text


def test_inspect_schema_json_and_filter(tool_context: ToolContext) -> None:
    tools = build_toolbox("planner", tool_context)
    result = tools.call("inspect_schema", {"tables": ["votes"], "format": "json"})
    data = json.loads(result.content)
    assert list(data["tables"]) == ["public.votes"]
    assert data["tables"]["public.votes"]["rows"] == 300


def test_inspect_schema_staging_missing_is_an_error(tool_context: ToolContext) -> None:
    result = build_toolbox("planner", tool_context).call("inspect_schema", {"database": "staging"})
    assert result.is_error and "no staging database" in result.content


def test_analyse_sql_reports_locks_and_sizes(tool_context: ToolContext) -> None:
    sql = (
        "CREATE INDEX idx_votes_user ON votes (user_id);"
        " ALTER TABLE users ALTER COLUMN reputation TYPE bigint"
    )
    result = build_toolbox("planner", tool_context).call("analyse_sql", {"sql": sql})
    assert not result.is_error, result.content
    index, retype = json.loads(result.content)["statements"]
    assert index["lock"] == "ShareLock" and index["blocks_writes"] and not index["blocks_reads"]
    assert {f["rule"] for f in index["findings"]} >= {"require-concurrent-index-creation"}
    assert retype["rewrites_table"] and retype["size"]["rows"] == 500


def test_analyse_sql_syntax_error_is_reported(tool_context: ToolContext) -> None:
    result = build_toolbox("planner", tool_context).call("analyse_sql", {"sql": "ALTER TABLE users ADDD x"})
    assert result.is_error and result.content.startswith("syntax error")
    assert "line 1" in result.content or ":1:" in result.content


def test_analyse_sql_without_database(tool_context: ToolContext) -> None:
    ctx = replace(tool_context, target_url="postgresql://x:pw-xyz@127.0.0.1:1/none")
    tools = build_toolbox("planner", ctx)
    assert tools.call("analyse_sql", {"sql": "SELECT 1"}).is_error
    offline = tools.call("analyse_sql", {"sql": "SELECT 1", "use_live_schema": False})
    assert not offline.is_error
    assert "pw-xyz" not in tools.call("analyse_sql", {"sql": "SELECT 1"}).content
