from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "adding-stored-generated-column"
STORED = "ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title)) STORED;"
VIRTUAL = "ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title)) VIRTUAL;"
DEFAULT_KIND = "ALTER TABLE posts ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title));"


@pytest.mark.parametrize("version", [12, 17, 18])
@pytest.mark.parametrize(
    "sql",
    [
        STORED,
        "ALTER TABLE posts ADD COLUMN n int, ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title)) "
        "STORED;",
    ],
)
def test_stored_generated_columns_are_flagged_on_every_version(sql: str, version: int) -> None:
    [finding] = findings(RULE, sql, pg_version=version)
    assert finding.severity is Severity.ERROR
    assert "public.posts.title_lower" in finding.message and "lower(title)" in finding.message
    assert "rewritten" in finding.message
    assert "BEFORE INSERT OR UPDATE trigger" in finding.fix and "batches" in finding.fix
    assert ("VIRTUAL;" in finding.fix) is (version >= 18)


@pytest.mark.parametrize("sql", [VIRTUAL, DEFAULT_KIND])
def test_virtual_columns_are_fine_on_18_and_missing_before(sql: str) -> None:
    assert findings(RULE, sql, pg_version=18) == []
    [finding] = findings(RULE, sql, pg_version=17)
    assert "public.posts.title_lower" in finding.message and "arrived in 18" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN title_lower text;",
        "CREATE TABLE tags (name text, lower_name text GENERATED ALWAYS AS (lower(name)) STORED);",
        "CREATE TABLE tags (name text);\n"
        "ALTER TABLE tags ADD COLUMN lower_name text GENERATED ALWAYS AS (lower(name)) STORED;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_a_virtual_column_really_is_rejected_before_18(conn: psycopg.Connection, server_version: int) -> None:
    snapshot = snapshot_after(conn, "CREATE TABLE notes (body text);")
    sql = "ALTER TABLE notes ADD COLUMN body_lower text GENERATED ALWAYS AS (lower(body))"
    flagged = findings(RULE, sql, snapshot=snapshot)
    if server_version >= 18:
        assert flagged == []
        conn.execute(sql)
    else:
        assert len(flagged) == 1
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute(sql)
