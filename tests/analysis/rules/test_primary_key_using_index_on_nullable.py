from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity
from zdt.schema import SchemaSnapshot

RULE = "primary-key-using-index-on-nullable"


@pytest.fixture
def snapshot(conn: psycopg.Connection) -> SchemaSnapshot:
    return snapshot_after(
        conn,
        """
        CREATE TABLE members (code text, ref bigint NOT NULL, alias text, extra text);
        INSERT INTO members SELECT 'c' || g, g, 'a' || g, 'x' FROM generate_series(1, 100) g;
        CREATE UNIQUE INDEX members_code_key ON members (code);
        CREATE UNIQUE INDEX members_ref_key ON members (ref) INCLUDE (extra);
        CREATE UNIQUE INDEX members_alias_key ON members (alias);
        CREATE UNIQUE INDEX members_ref_code_key ON members (ref, code);
        ALTER TABLE members ADD CONSTRAINT members_alias_not_null CHECK (alias IS NOT NULL) NOT VALID;
        ALTER TABLE members VALIDATE CONSTRAINT members_alias_not_null;
        ANALYZE members;
        """,
    )


def _verification_notices(conn: psycopg.Connection, sql: str) -> list[str]:
    notices: list[str] = []
    conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    conn.execute("SET client_min_messages = debug1")
    conn.execute(sql)
    conn.execute("RESET client_min_messages")
    return [n for n in notices if n.startswith("verifying table") or "sufficient to prove" in n]


def test_using_index_on_a_nullable_column_is_flagged(
    snapshot: SchemaSnapshot, conn: psycopg.Connection
) -> None:
    sql = "ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY USING INDEX members_code_key;"
    [finding] = findings(RULE, sql, snapshot=snapshot)
    assert finding.severity is Severity.WARNING  # 100 rows
    assert "USING INDEX members_code_key" in finding.message
    assert "public.members.code is nullable" in finding.message
    assert (
        "CHECK (code IS NOT NULL) NOT VALID" in findings(RULE, sql, snapshot=snapshot, pg_version=15)[0].fix
    )
    assert _verification_notices(conn, sql) == ['verifying table "members"']


def test_multi_column_keys_name_only_the_nullable_ones(snapshot: SchemaSnapshot) -> None:
    sql = "ALTER TABLE members ADD PRIMARY KEY USING INDEX members_ref_code_key;"
    [finding] = findings(RULE, sql, snapshot=snapshot)
    assert "public.members.code is nullable" in finding.message
    assert "members.ref" not in finding.message


def test_not_null_or_proven_columns_are_fine(snapshot: SchemaSnapshot, conn: psycopg.Connection) -> None:
    # ref is NOT NULL; the INCLUDE column extra is not a key column and needs no NOT NULL
    included = "ALTER TABLE members ADD PRIMARY KEY USING INDEX members_ref_key;"
    assert findings(RULE, included, snapshot=snapshot) == []
    proven = "ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY USING INDEX members_alias_key;"
    assert findings(RULE, proven, snapshot=snapshot) == []
    [notice] = _verification_notices(conn, proven)
    assert notice.startswith('existing constraints on column "members.alias" are sufficient to prove')


def test_before_12_even_a_validated_check_does_not_help(snapshot: SchemaSnapshot) -> None:
    sql = "ALTER TABLE members ADD PRIMARY KEY USING INDEX members_alias_key;"
    [finding] = findings(RULE, sql, snapshot=snapshot, pg_version=11)
    assert "public.members.alias" in finding.message
    assert finding.fix.startswith("before PostgreSQL 12")


def test_plain_primary_key_on_a_nullable_column(snapshot: SchemaSnapshot) -> None:
    [finding] = findings(RULE, "ALTER TABLE members ADD PRIMARY KEY (code, ref);", snapshot=snapshot)
    assert "ADD PRIMARY KEY on public.members: public.members.code is nullable" in finding.message
    assert "USING INDEX an index built CONCURRENTLY" in finding.fix
    [on_18] = findings(RULE, "ALTER TABLE members ADD PRIMARY KEY (code);", snapshot=snapshot, pg_version=18)
    assert "NOT NULL code NOT VALID" in on_18.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE members ADD PRIMARY KEY USING INDEX members_code_key;",
        "ALTER TABLE members ADD PRIMARY KEY (code);",
    ],
)
def test_silent_without_a_snapshot(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_unknown_index_or_new_table_is_not_flagged(snapshot: SchemaSnapshot) -> None:
    unknown = "ALTER TABLE members ADD PRIMARY KEY USING INDEX not_there;"
    assert findings(RULE, unknown, snapshot=snapshot) == []
    new_table = "CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);"
    assert findings(RULE, new_table, snapshot=snapshot) == []
