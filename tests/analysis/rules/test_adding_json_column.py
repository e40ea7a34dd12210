from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings
from zdt.analysis import Severity

RULE = "adding-json-column"


@pytest.mark.parametrize(
    ("sql", "expected", "fix"),
    [
        (
            "ALTER TABLE posts ADD COLUMN meta json;",
            "public.posts.meta is added as json",
            "ALTER TABLE public.posts ADD COLUMN meta jsonb",
        ),
        (
            "ALTER TABLE posts ALTER COLUMN body TYPE json USING body::json;",
            "public.posts.body is changed to json",
            "ALTER TABLE public.posts ALTER COLUMN body TYPE jsonb",
        ),
        (
            "CREATE TABLE events (id bigint, payload pg_catalog.json);",
            "public.events.payload is created as json",
            "payload jsonb in the CREATE TABLE",
        ),
        (
            "ALTER TABLE posts ADD COLUMN flag boolean, ADD COLUMN history json[];",
            "public.posts.history is added as json[]",
            "ADD COLUMN history jsonb[]",
        ),
    ],
)
def test_json_columns_are_flagged(sql: str, expected: str, fix: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith(expected)
    assert "could not identify an equality operator for type json" in finding.message
    assert fix in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN meta jsonb;",
        "ALTER TABLE posts ALTER COLUMN body TYPE jsonb USING body::jsonb;",
        "CREATE TABLE events (id bigint, payload jsonb, raw text);",
        "SELECT '{}'::json;",
    ],
)
def test_jsonb_and_other_types_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_the_failure_the_rule_warns_about_is_real(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE docs (a json, b jsonb); INSERT INTO docs VALUES ('{}', '{}'), ('{}', '{}')")
    assert conn.execute("SELECT count(*) FROM (SELECT DISTINCT b FROM docs) d").fetchone() == (1,)
    with pytest.raises(psycopg.errors.UndefinedFunction, match="equality operator for type json"):
        conn.execute("SELECT DISTINCT * FROM docs")
