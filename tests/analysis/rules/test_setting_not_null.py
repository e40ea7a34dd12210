from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity
from zdt.schema import SchemaSnapshot

RULE = "setting-not-null"
SET_NOT_NULL = "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;"


@pytest.fixture
def snapshot(conn: psycopg.Connection) -> SchemaSnapshot:
    return snapshot_after(
        conn,
        """
        CREATE TABLE accounts (id bigint NOT NULL, email text, phone text, nick text);
        INSERT INTO accounts SELECT g, 'a' || g, 'p' || g, 'n' || g FROM generate_series(1, 50) g;
        ALTER TABLE accounts ADD CONSTRAINT accounts_phone_not_null CHECK (phone IS NOT NULL) NOT VALID;
        ALTER TABLE accounts VALIDATE CONSTRAINT accounts_phone_not_null;
        ALTER TABLE accounts ADD CONSTRAINT accounts_nick_not_null CHECK (nick IS NOT NULL) NOT VALID;
        ANALYZE accounts;
        """,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ALTER email SET NOT NULL;",
        "ALTER TABLE users ADD COLUMN flag boolean, ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email;",
    ],
)
def test_set_not_null_without_proof_is_flagged(sql: str) -> None:
    [finding] = findings(RULE, sql, pg_version=18)
    assert finding.severity is Severity.ERROR
    assert "public.users.email" in finding.message and "AccessExclusiveLock" in finding.message


def test_each_column_gets_its_own_finding() -> None:
    sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL, ALTER COLUMN name SET NOT NULL;"
    assert [f.message.split(" on ")[1].split(" ")[0] for f in findings(RULE, sql)] == [
        "public.users.email",
        "public.users.name",
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (11, "keep that CHECK instead of SET NOT NULL"),
        (12, "CHECK (email IS NOT NULL) NOT VALID"),
        (17, "SET NOT NULL; (no scan"),
        (18, "ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID"),
    ],
)
def test_fix_follows_the_version(version: int, expected: str) -> None:
    [finding] = findings(RULE, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", pg_version=version)
    assert expected in finding.fix and "VALIDATE CONSTRAINT users_email_not_null" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;",
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
        "CREATE TABLE tags (name text);\nALTER TABLE tags ALTER COLUMN name SET NOT NULL;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql, pg_version=18) == []


def test_a_validated_check_in_the_snapshot_silences_it(snapshot: SchemaSnapshot) -> None:
    proven = "ALTER TABLE accounts ALTER COLUMN phone SET NOT NULL;"
    assert findings(RULE, proven, snapshot=snapshot) == []
    assert findings(RULE, proven, snapshot=snapshot, pg_version=12) == []
    # before 12 the CHECK is not consulted: the scan happens anyway
    [old] = findings(RULE, proven, snapshot=snapshot, pg_version=11)
    assert "public.accounts.phone" in old.message


def test_an_unvalidated_check_does_not_count(snapshot: SchemaSnapshot) -> None:
    [finding] = findings(RULE, "ALTER TABLE accounts ALTER COLUMN nick SET NOT NULL;", snapshot=snapshot)
    assert "public.accounts.nick" in finding.message
    assert finding.severity is Severity.WARNING  # 50 rows: the scan is short
    assert "~50 rows" in finding.message


def test_already_not_null_and_mixed_statements(snapshot: SchemaSnapshot) -> None:
    assert findings(RULE, "ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;", snapshot=snapshot) == []
    mixed = "ALTER TABLE accounts ALTER COLUMN phone SET NOT NULL, ALTER COLUMN email SET NOT NULL;"
    [finding] = findings(RULE, mixed, snapshot=snapshot)
    assert "public.accounts.email" in finding.message


def test_the_route_really_skips_the_scan(snapshot: SchemaSnapshot, conn: psycopg.Connection) -> None:
    notices: list[str] = []
    conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    conn.execute("SET client_min_messages = debug1")
    conn.execute("ALTER TABLE accounts ALTER COLUMN phone SET NOT NULL")
    assert any("sufficient to prove" in notice for notice in notices)
