"""Redaction: known passwords and the API key, secrets by shape, and the columns marked sensitive."""

from __future__ import annotations

import json

from zdt.record.redact import Redactor


def test_known_urls_are_redacted_and_their_passwords_masked_anywhere() -> None:
    url = "postgresql://app:s3cr3t-pw@db.internal:5432/prod"
    redactor = Redactor(urls=[url], environ={})

    out = redactor.value({"msg": f"cannot reach {url}", "again": "password s3cr3t-pw was wrong", "n": 3})

    assert out == {
        "msg": "cannot reach postgresql://app@db.internal:5432/prod",
        "again": "password *** was wrong",
        "n": 3,
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
