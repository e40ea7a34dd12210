from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings
from zdt.analysis import Severity

RULE = "prefer-timestamptz"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ALTER TABLE posts ADD COLUMN published_at timestamp;", "public.posts.published_at is added as"),
        (
            "ALTER TABLE posts ADD COLUMN published_at timestamp(3) without time zone DEFAULT now();",
            "public.posts.published_at is added as timestamp(3) without time zone",
        ),
        ("CREATE TABLE events (id bigint, at timestamp NOT NULL);", "public.events.at is created as"),
        (
            "ALTER TABLE posts ALTER COLUMN created_at TYPE timestamp;",
            "public.posts.created_at is changed to",
        ),
        ("CREATE TABLE events (seen timestamp[]);", "public.events.seen is created as"),
    ],
)
def test_timestamp_without_time_zone_is_flagged(sql: str, expected: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith(expected) and "without time zone" in finding.message
    assert "timestamptz" in finding.fix


def test_conversion_advice_depends_on_the_version() -> None:
    sql = "ALTER TABLE posts ADD COLUMN published_at timestamp;"
    [new] = findings(RULE, sql, pg_version=12)
    [old] = findings(RULE, sql, pg_version=11)
    assert "without a rewrite when the session TimeZone is UTC" in new.fix
    assert "without a rewrite" not in old.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN published_at timestamptz;",
        "ALTER TABLE posts ADD COLUMN published_at timestamp with time zone;",
        "CREATE TABLE events (at timestamptz, day date, t time);",
        "ALTER TABLE posts ALTER COLUMN created_at TYPE timestamptz;",
    ],
)
def test_timestamptz_and_other_types_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_a_timestamp_column_records_the_writers_wall_clock(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE clock (naive timestamp, aware timestamptz)")
    for zone in ("UTC", "Asia/Tokyo"):
        conn.execute(f"SET TimeZone = '{zone}'")
        # the same instant, e.g. now(), written from two sessions with different TimeZone settings
        conn.execute(
            "INSERT INTO clock SELECT t, t FROM (SELECT '2024-01-01 00:00:00+00'::timestamptz) AS s(t)"
        )
    naive, aware = conn.execute("SELECT count(DISTINCT naive), count(DISTINCT aware) FROM clock").fetchone()
    assert (naive, aware) == (2, 1)
