from __future__ import annotations

import pytest

from zdt.analysis import Severity, StatementReport, analyse_sql

RULE = "multiple-locks-in-transaction"


def _flagged(sql: str, **options: object) -> list[tuple[int, str]]:
    reports: list[StatementReport] = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [(r.index, f.message) for r in reports for f in r.findings if f.rule == RULE]


def test_second_lock_in_a_block_is_flagged_naming_both_tables() -> None:
    sql = (
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;"
    )
    [(index, message)] = _flagged(sql)
    assert index == 2
    assert message.startswith("AccessExclusiveLock on public.posts is requested")
    assert "public.users (AccessExclusiveLock, statement 2)" in message and "until COMMIT" in message
    reports = analyse_sql(sql)
    [finding] = [f for f in reports[2].findings if f.rule == RULE]
    assert finding.severity is Severity.WARNING and "one lock-taking statement" in finding.fix


@pytest.mark.parametrize(
    "sql",
    [
        # LOCK TABLE, then an index build on another table
        "BEGIN;\nLOCK TABLE users IN SHARE MODE;\n"
        "CREATE INDEX posts_author_idx ON posts (author_id);\nCOMMIT;",
        # a lock upgrade on the same table can wait too
        "BEGIN;\nCREATE INDEX posts_author_idx ON posts (author_id);\n"
        "ALTER TABLE posts ADD COLUMN x int;\nEND;",
        # a nested BEGIN is ignored by PostgreSQL: the first lock is still held
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nBEGIN;\n"
        "ALTER TABLE posts ADD COLUMN x int;\nCOMMIT;",
        "START TRANSACTION;\nALTER TABLE users ADD COLUMN bio text;\nUPDATE posts SET status = 'x';\n"
        "DROP INDEX posts_created_idx;\nCOMMIT;",
    ],
)
def test_other_lock_combinations_are_flagged(sql: str) -> None:
    assert len(_flagged(sql)) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD COLUMN bio text;\nALTER TABLE posts ADD COLUMN summary text;",
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nCOMMIT;\n"
        "BEGIN;\nALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;",
        # the same table again: the lock already held covers it
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nALTER TABLE posts ADD COLUMN b int;\nCOMMIT;",
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nCREATE INDEX posts_a_idx ON posts (a);\nCOMMIT;",
        # locks that do not block writes are not traffic-blocking
        "BEGIN;\nUPDATE users SET name = 'x' WHERE id = 1;\nALTER TABLE posts ADD COLUMN a int;\nCOMMIT;",
        # tables created in the block carry no traffic
        "BEGIN;\nCREATE TABLE tags (id bigint);\nALTER TABLE tags ADD COLUMN name text;\n"
        "ALTER TABLE posts ADD COLUMN tag_id bigint;\nCOMMIT;",
        "BEGIN;\nALTER TABLE posts ADD COLUMN tag_id bigint;\nCREATE TABLE tags (id bigint);\n"
        "CREATE INDEX tags_id_idx ON tags (id);\nCOMMIT;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _flagged(sql) == []
