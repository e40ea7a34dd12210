from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "adding-unique-constraint"


@pytest.mark.parametrize(
    ("sql", "spelled", "index_sql"),
    [
        (
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
            "ADD CONSTRAINT users_email_key UNIQUE on public.users.email",
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON public.users (email);",
        ),
        (
            "ALTER TABLE users ADD UNIQUE (email, name);",
            "ADD UNIQUE on public.users.email, public.users.name",
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_name_key ON public.users (email, name);",
        ),
        (
            "ALTER TABLE users ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT (email) INCLUDE (name);",
            "ADD CONSTRAINT u UNIQUE on public.users.email",
            "CREATE UNIQUE INDEX CONCURRENTLY u ON public.users (email) INCLUDE (name) NULLS NOT DISTINCT;",
        ),
        (
            "ALTER TABLE users ADD PRIMARY KEY (email);",
            "ADD PRIMARY KEY on public.users.email",
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_pkey ON public.users (email);",
        ),
        (
            "ALTER TABLE users ADD COLUMN handle text UNIQUE;",
            "ADD COLUMN ... UNIQUE on public.users.handle",
            "CREATE UNIQUE INDEX CONCURRENTLY users_handle_key ON public.users (handle);",
        ),
    ],
)
def test_index_building_constraints_are_flagged(sql: str, spelled: str, index_sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith(spelled) and "AccessExclusiveLock" in finding.message
    assert index_sql in finding.fix and "USING INDEX" in finding.fix


def test_primary_key_fix_warns_about_nullable_columns() -> None:
    [finding] = findings(RULE, "ALTER TABLE users ADD CONSTRAINT users_pk PRIMARY KEY (email);")
    assert "ADD CONSTRAINT users_pk PRIMARY KEY USING INDEX users_pk" in finding.fix
    assert "must already be NOT NULL" in finding.fix


def test_exclusion_constraints_have_no_using_index_route() -> None:
    sql = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);"
    [finding] = findings(RULE, sql)
    assert "public.bookings.room, public.bookings.during" in finding.message
    assert "no online route" in finding.fix and "USING INDEX" not in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
        "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_email_key;",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (email <> '');",
        "CREATE TABLE tags (name text);\nALTER TABLE tags ADD CONSTRAINT tags_name_key UNIQUE (name);",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_partitioned_tables_are_done_partition_by_partition(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE plain (id bigint NOT NULL);",
    )
    [partitioned] = findings(RULE, "ALTER TABLE events ADD UNIQUE (id, at);", snapshot=snapshot)
    [plain] = findings(RULE, "ALTER TABLE plain ADD UNIQUE (id);", snapshot=snapshot)
    assert "on each partition" in partitioned.fix
    assert "on each partition" not in plain.fix
    assert plain.severity is Severity.INFO  # empty table: the build is instant
