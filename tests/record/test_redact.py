"""Redaction: known passwords and the API key, secrets by shape, and the columns marked sensitive."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from zdt.record.log import read_events
from zdt.record.recorder import Recorder
from zdt.record.redact import Redactor
from zdt.tools.base import ToolBox
from zdt.tools.context import ToolContext
from zdt.tools.query import run_readonly_sql_tool


def test_known_urls_are_redacted_and_their_passwords_masked_anywhere() -> None:
    url = "postgresql://app:s3cr3t-pw@db.internal:5432/prod"
    redactor = Redactor(urls=[url], environ={})

    out = redactor.value({"msg": f"cannot reach {url}", "again": "password s3cr3t-pw was wrong", "n": 3})

    assert out == {
        "msg": "cannot reach postgresql://app@db.internal:5432/prod",
        "again": "password *** was wrong",
        "n": 3,
    }


def test_a_digest_is_left_whole_even_if_a_short_password_occurs_in_it() -> None:
    digest = "ab12" + "0" * 56 + "cafe"
    redactor = Redactor(urls=["postgresql://u:cafe@h/db"], environ={})

    assert redactor.value({"request_sha256": digest, "note": "cafe au lait"}) == {
        "request_sha256": digest,
        "note": "*** au lait",
    }


def test_secrets_by_shape_are_masked_without_being_told() -> None:
    redactor = Redactor(environ={"ANTHROPIC_API_KEY": "sk-ant-api03-envkeyvalue"})
    text = (
        "key sk-ant-api03-AbCdEf_123-xyz, url postgres://u:hunter22@h/db, "
        "conninfo host=h password=topsecret dbname=x, env sk-ant-api03-envkeyvalue"
    )

    out = redactor.text(text)

    for secret in ("AbCdEf_123", "hunter22", "topsecret", "envkeyvalue"):
        assert secret not in out
    assert "postgres://u:***@h/db" in out and "password=*** dbname=x" in out


def test_sensitive_column_values_are_masked_in_data_and_in_json_text() -> None:
    redactor = Redactor(sensitive_columns=["users.email"], environ={})
    rows = json.dumps({"rows": [{"id": 1, "email": "ada@example.org"}]})

    out = redactor.value({"result": {"content": rows}, "email": "bob@example.org", "other": "keep"})

    assert "ada@example.org" not in json.dumps(out) and "bob@example.org" not in json.dumps(out)
    assert out["email"] == "***" and out["other"] == "keep"
    assert json.loads(out["result"]["content"]) == {"rows": [{"id": 1, "email": "***"}]}


def test_a_sensitive_column_is_masked_in_a_real_query_tools_result(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'ada@example.org')"
        )
    recorder = Recorder.open(tmp_path, "s-cols", Redactor(sensitive_columns=["users.email"], environ={}))
    tools = ToolBox("planner", observers=[recorder.tool_call])
    tools.add(
        run_readonly_sql_tool(ToolContext(target_url=database_url, scratchpad_dir=tmp_path, session_id="s"))
    )

    result = tools.call("run_readonly_sql", {"sql": "SELECT id, email FROM users"})

    assert "ada@example.org" in result.content  # the model still sees it: only the record is redacted
    [event] = read_events(recorder.path)
    assert json.loads(event.data["result"]["content"])["rows"] == [[1, "***"]]
    assert "ada@example.org" not in recorder.path.read_text(encoding="utf-8")
