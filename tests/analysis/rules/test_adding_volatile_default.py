from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "adding-volatile-default"


@pytest.mark.parametrize(
    ("sql", "culprit"),
    [
        ("ALTER TABLE posts ADD COLUMN token uuid DEFAULT gen_random_uuid();", "gen_random_uuid()"),
        ("ALTER TABLE posts ADD COLUMN r int DEFAULT (random() * 10)::int;", "random()"),
        (
            "ALTER TABLE posts ADD COLUMN at timestamptz NOT NULL DEFAULT clock_timestamp();",
            "clock_timestamp()",
        ),
        ("ALTER TABLE posts ADD COLUMN flag boolean, ADD COLUMN n bigint DEFAULT nextval('s');", "nextval()"),
        ("ALTER TABLE posts ADD COLUMN n int DEFAULT my_counter();", "my_counter()"),
    ],
)
def test_volatile_defaults_are_flagged(sql: str, culprit: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert "public.posts" in finding.message and culprit in finding.message
    assert "AccessExclusiveLock" in finding.message
    assert "SET DEFAULT" in finding.fix and "batches" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN n int DEFAULT 0;",
        "ALTER TABLE posts ADD COLUMN at timestamptz DEFAULT now();",
        "ALTER TABLE posts ADD COLUMN tag text DEFAULT lower('X');",
        "ALTER TABLE posts ADD COLUMN tag text DEFAULT NULL;",
        "ALTER TABLE posts ADD COLUMN token uuid;",
        "ALTER TABLE posts ALTER COLUMN status SET DEFAULT gen_random_uuid()::text;",
        "CREATE TABLE tags (id int);\nALTER TABLE tags ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    ],
)
def test_constant_and_stable_defaults_are_not_flagged_on_11_and_later(sql: str) -> None:
    assert findings(RULE, sql, pg_version=11) == []


def test_any_default_rewrites_before_11() -> None:
    sql = "ALTER TABLE posts ADD COLUMN n int DEFAULT 0;"
    [finding] = findings(RULE, sql, pg_version=10)
    assert "before PostgreSQL 11" in finding.message and "public.posts.n" in finding.message
    assert "constant DEFAULT" not in finding.fix
    assert findings(RULE, sql, pg_version=11) == []


def test_serial_and_identity_are_left_to_their_own_rule() -> None:
    assert findings(RULE, "ALTER TABLE posts ADD COLUMN n serial;") == []
    assert findings(RULE, "ALTER TABLE posts ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;") == []


def test_function_volatility_comes_from_the_catalog(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE items (id bigint);"
        "CREATE FUNCTION fixed_code() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'a' $$;"
        "CREATE FUNCTION fresh_code() RETURNS text VOLATILE LANGUAGE sql AS $$ SELECT random()::text $$;",
    )
    fixed = "ALTER TABLE items ADD COLUMN code text DEFAULT fixed_code();"
    fresh = "ALTER TABLE items ADD COLUMN code text DEFAULT fresh_code();"
    assert findings(RULE, fixed, snapshot=snapshot) == []
    [finding] = findings(RULE, fresh, snapshot=snapshot)
    assert "calls volatile fresh_code()" in finding.message
    assert finding.severity is Severity.INFO  # the table is empty
