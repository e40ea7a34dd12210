from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "constraint-missing-not-valid"


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status <> '');",
        "ALTER TABLE posts ADD CHECK (status <> '');",
        "ALTER TABLE posts ADD COLUMN flag boolean, ADD CONSTRAINT posts_status_check CHECK (status <> '');",
        "ALTER TABLE app.posts ADD CONSTRAINT posts_status_check CHECK (status <> '');",
    ],
)
def test_check_without_not_valid_is_flagged(sql: str) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert "posts" in finding.message and "status" in finding.message
    assert "AccessExclusiveLock" in finding.message
    assert "NOT VALID" in finding.fix and "VALIDATE CONSTRAINT" in finding.fix


def test_foreign_key_names_both_tables_and_the_column() -> None:
    sql = "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id);"
    [finding] = findings(RULE, sql)
    assert "public.posts.author_id" in finding.message
    assert "public.users" in finding.message and "ShareRowExclusiveLock" in finding.message
    assert finding.fix.startswith(
        "ALTER TABLE public.posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) "
        "REFERENCES users (id) NOT VALID;"
    )
    assert "VALIDATE CONSTRAINT posts_author_fk" in finding.fix


def test_unnamed_foreign_key_gets_a_name_in_the_fix() -> None:
    [finding] = findings(RULE, "ALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES users;")
    assert "CONSTRAINT posts_author_id_fkey FOREIGN KEY" in finding.fix
    assert "VALIDATE CONSTRAINT posts_author_id_fkey" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD CONSTRAINT c CHECK (status <> '') NOT VALID;",
        "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;",
        "ALTER TABLE posts VALIDATE CONSTRAINT c;",
        "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);",
        # a table created by the script carries no traffic yet
        "CREATE TABLE tags (id bigint, name text);\nALTER TABLE tags ADD CONSTRAINT c CHECK (name <> '');",
        "CREATE TABLE tags (id bigint, post_id bigint);\n"
        "ALTER TABLE tags ADD CONSTRAINT fk FOREIGN KEY (post_id) REFERENCES posts (id);",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_severity_follows_the_table_size(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE empty (n int); CREATE TABLE small (n int);"
        "INSERT INTO small SELECT generate_series(1, 100); ANALYZE small;",
    )
    [on_empty] = findings(RULE, "ALTER TABLE empty ADD CHECK (n > 0);", snapshot=snapshot)
    [on_small] = findings(RULE, "ALTER TABLE small ADD CHECK (n > 0);", snapshot=snapshot)
    assert on_empty.severity is Severity.INFO
    assert on_small.severity is Severity.WARNING
    assert "~100 rows" in on_small.message


def test_partitioned_foreign_key_advice_depends_on_the_version(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE accounts (id bigint PRIMARY KEY);"
        "CREATE TABLE events (account_id bigint, at date) PARTITION BY RANGE (at);",
    )
    sql = "ALTER TABLE events ADD FOREIGN KEY (account_id) REFERENCES accounts (id);"
    [before_18] = findings(RULE, sql, snapshot=snapshot, pg_version=17)
    [on_18] = findings(RULE, sql, snapshot=snapshot, pg_version=18)
    assert "each partition" in before_18.fix
    assert "each partition" not in on_18.fix
