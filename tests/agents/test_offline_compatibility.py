"""CompatibilityAgent.offline: queries PREPAREd by zdt.compat on the old (target) and new (staging) schema."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from zdt.agents import CompatibilityAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.tools import ToolContext, build_toolbox

QUERIES = """
SELECT id, email FROM users WHERE id = $1;
INSERT INTO votes (id, election_id, user_id) VALUES ($1, $2, $3);
UPDATE users SET reputation = reputation + 1 WHERE id = $1;
"""


@pytest.fixture
def session(tool_context: ToolContext, staging_url: str) -> ToolContext:
    return replace(tool_context, environment="rehearsal", staging_url=staging_url)


def _migrate_staging(url: str, ddl: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ddl)


def _check(ctx: ToolContext, queries: str | None, **context: object):
    tools = build_toolbox("compatibility", ctx)
    return run_agent(
        CompatibilityAgent(), {"session_id": "s", "queries": queries, **context}, OfflineBrain(), tools
    )


def test_additive_change_is_compatible(session: ToolContext) -> None:
    assert session.staging_url is not None
    _migrate_staging(session.staging_url, "ALTER TABLE users ADD COLUMN badge text")
    result = _check(session, QUERIES)
    assert result.verdict == "compatible", result.summary
    assert [(c.new_schema_ok, c.old_schema_ok) for c in result.checks] == [(True, True)] * 3
    assert result.checks[1].query.startswith("INSERT INTO votes")


def test_a_rename_breaks_old_code(session: ToolContext) -> None:
    assert session.staging_url is not None
    _migrate_staging(session.staging_url, "ALTER TABLE users RENAME COLUMN email TO contact_email")
    result = _check(session, QUERIES + "SELECT contact_email FROM users WHERE id = $1;")
    assert result.verdict == "incompatible"
    first, _, _, new_code = result.checks
    assert (first.new_schema_ok, first.old_schema_ok) == (False, True)
    assert first.error is not None and 'column "email" does not exist' in first.error
    assert (new_code.new_schema_ok, new_code.old_schema_ok) == (True, False)
    assert "1 of 4 queries break on the new schema" in result.summary
    assert "1 pass only on the new schema" in result.summary


def test_nothing_was_written(session: ToolContext) -> None:
    _check(session, "DELETE FROM votes WHERE id > $1;")
    for url in (session.target_url, session.staging_url):
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM votes").fetchone() == (300,)


def test_no_queries_is_unknown(session: ToolContext) -> None:
    assert _check(session, None).verdict == "unknown"


def test_without_staging_the_check_is_unknown(tool_context: ToolContext) -> None:
    result = _check(tool_context, QUERIES)
    assert result.verdict == "unknown" and "no staging database" in result.summary


def test_a_forbidden_query_is_not_checked(session: ToolContext) -> None:
    result = _check(session, "SELECT pg_terminate_backend(1);")
    assert result.verdict == "unknown" and "pg_terminate_backend" in result.summary
