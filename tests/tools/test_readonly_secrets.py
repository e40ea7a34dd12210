"""run_readonly_sql is really read-only: no side effect through a function, no secret, no lock; normal
catalogue reads still work, and the answer says which role the query ran as."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

from zdt.tools import ToolContext, build_toolbox


@pytest.fixture
def planner_tools(tool_context: ToolContext):
    return build_toolbox("planner", tool_context)


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


REFUSED = [
    ("SELECT rolname, rolpassword FROM pg_authid", "pg_authid holds role password hashes"),
    ("SELECT a FROM pg_catalog.pg_authid a", "pg_authid"),
    ("SELECT usename, passwd FROM pg_shadow", "pg_shadow"),
    ("SELECT umoptions FROM pg_user_mappings", "pg_user_mappings"),
    ("SELECT * FROM information_schema.user_mapping_options", "user_mapping_options"),
    ("SELECT query FROM pg_stat_activity", "pg_stat_activity.query"),
    ("SELECT * FROM pg_stat_activity", "pg_stat_activity.query"),
    ("SELECT to_jsonb(s) FROM pg_stat_activity s", "pg_stat_activity.query"),
    ("SELECT pg_stat_get_backend_activity(1)", "pg_stat_get_backend_activity"),
    ("SELECT current_setting('primary_conninfo')", "primary_conninfo"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("SELECT pg_read_binary_file('/etc/passwd')", "pg_read_binary_file"),
    ("SELECT pg_ls_dir('.')", "pg_ls_dir"),
    ("SELECT lo_import('/etc/passwd')", "lo_import"),
    ("SELECT lo_export(1, '/tmp/zdt-leak')", "lo_export"),
    ("SELECT query_to_xml('SELECT lo_export(1, ''/tmp/x'')', true, false, '')", "reaches lo_export"),
    ("SELECT ts_stat('SELECT to_tsvector(email) FROM users')", "ts_stat"),
    ("SELECT table_to_xml('pg_authid', true, false, '')", "table_to_xml"),
    ("SELECT pg_create_physical_replication_slot('zdt_evil')", "pg_create_physical_replication_slot"),
    ("SELECT set_config('role', 'postgres', false)", "set_config"),
    ("SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
    ("SELECT nextval('users_id_seq')", "nextval"),
    ("SELECT public.anything(1)", "built-ins of pg_catalog only"),
    ("SELECT * FROM users FOR UPDATE", "FOR UPDATE"),
    ("SELECT * FROM (SELECT * FROM users FOR SHARE) s", "FOR UPDATE/SHARE"),
    ("WITH u AS (UPDATE users SET email = 'x' RETURNING 1) SELECT count(*) FROM u", "UPDATE"),
    ("WITH d AS (DELETE FROM votes RETURNING 1) SELECT count(*) FROM d", "DELETE"),
    ("SELECT * INTO stolen FROM users", "SELECT INTO"),
    ("SELECT 1; SELECT 2", "expected exactly one statement, got 2"),
    ("SHOW work_mem", "only a SELECT"),
    ("EXPLAIN ANALYZE DELETE FROM users", "only a SELECT"),
]


@pytest.mark.parametrize(("query", "said"), REFUSED)
def test_refused_before_the_server_sees_it(
    planner_tools, tool_context: ToolContext, query: str, said: str
) -> None:
    result = planner_tools.call("run_readonly_sql", {"sql": query})
    assert result.is_error, result.content
    assert "refused by policy" in result.content and said in result.content, result.content
    assert "SCRAM-SHA-256" not in result.content and "md5" not in result.content
    url = tool_context.target_url
    assert _count(url, "SELECT count(*) FROM users") == 500
    assert _count(url, "SELECT count(*) FROM pg_replication_slots") == 0
    assert not Path("/tmp/zdt-leak").exists()


def test_a_write_through_a_function_is_refused_naming_it(planner_tools, tool_context: ToolContext) -> None:
    with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION looks_pure(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS "
            "$$ BEGIN PERFORM dblink_exec('dbname=x', 'DELETE FROM users'); RETURN $1; END $$"
        )
    result = planner_tools.call("run_readonly_sql", {"sql": "SELECT id FROM users WHERE looks_pure(id) > 0"})
    assert result.is_error and "calls looks_pure" in result.content, result.content


@pytest.mark.parametrize(
    "query",
    [
        "SELECT relname, reltuples FROM pg_class WHERE relname = 'users'",
        "SELECT count(*), max(backend_start) FROM pg_stat_activity",
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint ORDER BY 1",
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index LIMIT 5",
        "SELECT rolname, rolsuper FROM pg_roles ORDER BY 1",
        "SELECT name, setting FROM pg_settings WHERE name = 'max_wal_size'",
        "SELECT now(), lower(email), length(email) FROM users ORDER BY id LIMIT 1",
        "SELECT pg_size_pretty(pg_total_relation_size('users'))",
        "EXPLAIN SELECT * FROM users WHERE id = 1",
    ],
)
def test_normal_catalogue_reads_work(planner_tools, query: str) -> None:
    result = planner_tools.call("run_readonly_sql", {"sql": query})
    assert not result.is_error, result.content
    assert json.loads(result.content)["rows"]


def test_a_superuser_connection_says_it_could_not_drop_its_rights(planner_tools) -> None:
    data = json.loads(planner_tools.call("run_readonly_sql", {"sql": "SELECT 1"}).content)
    assert "SUPERUSER" in data["runs_as"] and "CREATE ROLE zdt_reader" in data["runs_as"]


def test_queries_run_as_the_reader_role_when_the_server_has_one(tool_context: ToolContext) -> None:
    role = f"zdt_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
        conn.execute(psql.SQL("CREATE ROLE {} NOLOGIN").format(psql.Identifier(role)))
        conn.execute(psql.SQL("GRANT pg_read_all_data TO {}").format(psql.Identifier(role)))
    try:
        tools = build_toolbox("planner", replace(tool_context, reader_role=role))
        result = tools.call("run_readonly_sql", {"sql": "SELECT current_user, count(*) FROM users"})
        data = json.loads(result.content)
        assert data["rows"] == [[role, 500]], result.content
        assert data["runs_as"].startswith(f"{role} (SET ROLE from superuser")
        explained = tools.call("explain_query", {"sql": "SELECT * FROM users"}).content
        assert f"runs as: {role}" in explained
    finally:
        with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
            conn.execute(psql.SQL("DROP OWNED BY {}").format(psql.Identifier(role)))
            conn.execute(psql.SQL("DROP ROLE {}").format(psql.Identifier(role)))
