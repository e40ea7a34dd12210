"""check_compatibility: the query corpus PREPAREd on both schemas, through zdt.compat's checker."""

from __future__ import annotations

import json
from dataclasses import replace

import psycopg
import pytest

from zdt.tools import ToolContext, build_toolbox
from zdt.tools.compat_check import SOURCE

QUERIES = "SELECT id, email FROM users WHERE id = $1;\nSELECT count(*) FROM votes WHERE election_id = $1;\n"


@pytest.fixture
def session(tool_context: ToolContext, staging_url: str) -> ToolContext:
    return replace(tool_context, environment="rehearsal", staging_url=staging_url)


def _check(ctx: ToolContext, queries: str = QUERIES, **extra: object):
    return build_toolbox("compatibility", ctx).call("check_compatibility", {"queries": queries, **extra})


def test_unchanged_schema_is_compatible(session: ToolContext) -> None:
    data = json.loads(_check(session).content)
    assert data["source"] == SOURCE and data["verdict"] == "compatible"
    assert [c["new_schema_ok"] for c in data["checks"]] == [True, True]


def test_dropped_column_is_incompatible(session: ToolContext) -> None:
    assert session.staging_url is not None
    with psycopg.connect(session.staging_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE users DROP COLUMN email")
    data = json.loads(_check(session).content)
    assert data["verdict"] == "incompatible"
    broken, fine = data["checks"]
    assert broken["new_schema_ok"] is False and broken["old_schema_ok"] is True
    assert 'column "email" does not exist' in broken["error"]
    assert fine["new_schema_ok"] is True


def test_without_staging_is_an_error(tool_context: ToolContext) -> None:
    result = _check(tool_context)
    assert result.is_error and "no staging database" in result.content


def test_unparseable_corpus_is_an_error(session: ToolContext) -> None:
    result = _check(session, "SELEC id FROM users;")
    assert result.is_error and "do not parse" in result.content


def test_writes_in_the_corpus_are_only_prepared(session: ToolContext) -> None:
    data = json.loads(_check(session, "DELETE FROM votes WHERE id > $1;").content)
    assert data["verdict"] == "compatible"
    for url in (session.target_url, session.staging_url):
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM votes").fetchone() == (300,)


def test_no_password_in_connection_failures(session: ToolContext) -> None:
    ctx = replace(session, target_url="postgresql://a:pw-5150@127.0.0.1:1/none")
    result = _check(ctx)
    assert "pw-5150" not in result.content
