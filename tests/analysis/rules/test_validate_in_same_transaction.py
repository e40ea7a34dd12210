from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings, snapshot_after
from zdt.analysis import Severity

RULE = "validate-in-same-transaction"
ADD_CHECK = "ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status <> '') NOT VALID;"
VALIDATE = "ALTER TABLE posts VALIDATE CONSTRAINT posts_status_check;"


@pytest.mark.parametrize(
    ("sql", "mode", "statement"),
    [
        (f"BEGIN;\n{ADD_CHECK}\n{VALIDATE}\nCOMMIT;", "AccessExclusiveLock", 2),
        (f"START TRANSACTION;\n{ADD_CHECK}\nSELECT 1;\n{VALIDATE}\nCOMMIT;", "AccessExclusiveLock", 2),
        (
            "BEGIN;\nALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) "
            f"REFERENCES users (id) NOT VALID;\n{VALIDATE}\nCOMMIT;",
            "ShareRowExclusiveLock",
            2,
        ),
        (
            f"BEGIN;\nALTER TABLE posts ADD COLUMN flag boolean;\n{VALIDATE}\nCOMMIT;",
            "AccessExclusiveLock",
            2,
        ),
        (f"BEGIN;\nLOCK TABLE posts IN SHARE MODE;\n{VALIDATE}\nCOMMIT;", "ShareLock", 2),
    ],
)
def test_validate_after_a_lock_in_the_same_transaction_is_flagged(
    sql: str, mode: str, statement: int
) -> None:
    [finding] = findings(RULE, sql)
    assert finding.severity is Severity.ERROR
    assert "posts_status_check" in finding.message and "public.posts" in finding.message
    assert f"took {mode} on public.posts at statement {statement}" in finding.message
    assert "in a transaction of its own" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        f"{ADD_CHECK}\n{VALIDATE}",  # autocommit: each statement is its own transaction
        f"BEGIN;\n{ADD_CHECK}\nCOMMIT;\n{VALIDATE}",
        f"BEGIN;\n{ADD_CHECK}\nCOMMIT;\nBEGIN;\n{VALIDATE}\nCOMMIT;",
        f"BEGIN;\n{ADD_CHECK}\nROLLBACK;\nBEGIN;\n{VALIDATE}\nCOMMIT;",
        f"BEGIN;\nALTER TABLE users ADD COLUMN flag boolean;\n{VALIDATE}\nCOMMIT;",
        f"BEGIN;\nSELECT * FROM posts;\n{VALIDATE}\nCOMMIT;",
        "BEGIN;\nCREATE TABLE tags (name text);\n"
        "ALTER TABLE tags ADD CONSTRAINT c CHECK (name <> '') NOT VALID;\n"
        "ALTER TABLE tags VALIDATE CONSTRAINT c;\nCOMMIT;",
    ],
)
def test_separate_transactions_are_fine(sql: str) -> None:
    assert findings(RULE, sql) == []


def test_the_lock_really_is_held_during_validation(conn: psycopg.Connection) -> None:
    snapshot = snapshot_after(
        conn,
        "CREATE TABLE notes (body text); INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 10) g;"
        "ANALYZE notes;",
    )
    sql = (
        "BEGIN;\nALTER TABLE notes ADD CONSTRAINT notes_body_check CHECK (body <> '') NOT VALID;\n"
        "ALTER TABLE notes VALIDATE CONSTRAINT notes_body_check;\nCOMMIT;"
    )
    [finding] = findings(RULE, sql, snapshot=snapshot)
    assert finding.severity is Severity.WARNING and "~10 rows" in finding.message
    with conn.transaction():
        conn.execute("ALTER TABLE notes ADD CONSTRAINT notes_body_check CHECK (body <> '') NOT VALID")
        conn.execute("ALTER TABLE notes VALIDATE CONSTRAINT notes_body_check")
        modes = {
            row[0]
            for row in conn.execute(
                "SELECT mode FROM pg_locks WHERE relation = 'notes'::regclass AND pid = pg_backend_pid()"
            )
        }
    assert "AccessExclusiveLock" in modes
