from __future__ import annotations

import pytest

from zdt.analysis import Severity, StatementReport, analyse_sql

RULE = "transaction-nesting"


def _flagged(sql: str) -> list[tuple[int, Severity, str]]:
    reports: list[StatementReport] = analyse_sql(sql)
    return [(r.index, f.severity, f.message) for r in reports for f in r.findings if f.rule == RULE]


def test_nested_begin_and_the_extra_commit_are_flagged() -> None:
    sql = (
        "BEGIN;\nALTER TABLE posts ADD COLUMN summary text;\nBEGIN;\n"
        "ALTER TABLE users ADD COLUMN bio text;\nCOMMIT;\nCOMMIT;"
    )
    found = _flagged(sql)
    assert [(index, severity) for index, severity, _ in found] == [
        (2, Severity.WARNING),  # the inner BEGIN: ignored by PostgreSQL
        (5, Severity.WARNING),  # the first COMMIT already ended the block
    ]
    assert "ignored" in found[0][2] and "autocommit" in found[0][2]
    assert found[1][2].startswith("COMMIT with no open transaction block")


@pytest.mark.parametrize(
    ("sql", "index", "severity", "start"),
    [
        ("START TRANSACTION;\nBEGIN;\nCOMMIT;", 1, Severity.WARNING, "BEGIN inside an open"),
        ("ALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;", 1, Severity.WARNING, "COMMIT with no"),
        ("END;", 0, Severity.WARNING, "COMMIT with no"),
        ("ROLLBACK;", 0, Severity.WARNING, "ROLLBACK with no"),
        ("ABORT;", 0, Severity.WARNING, "ROLLBACK with no"),
        ("PREPARE TRANSACTION 'm1';", 0, Severity.WARNING, "PREPARE TRANSACTION with no"),
        ("COMMIT AND CHAIN;", 0, Severity.ERROR, "COMMIT AND CHAIN with no open"),
        ("BEGIN;\nROLLBACK;\nROLLBACK AND CHAIN;", 2, Severity.ERROR, "ROLLBACK AND CHAIN with no open"),
        ("SAVEPOINT before_backfill;", 0, Severity.ERROR, "SAVEPOINT before_backfill outside"),
        ("RELEASE SAVEPOINT s1;", 0, Severity.ERROR, "RELEASE SAVEPOINT s1 outside"),
        ("BEGIN;\nCOMMIT;\nROLLBACK TO SAVEPOINT s1;", 2, Severity.ERROR, "ROLLBACK TO SAVEPOINT s1 outside"),
    ],
)
def test_misplaced_transaction_control_is_flagged(
    sql: str, index: int, severity: Severity, start: str
) -> None:
    [(found_index, found_severity, message)] = _flagged(sql)
    assert (found_index, found_severity) == (index, severity)
    assert message.startswith(start)


@pytest.mark.parametrize(
    "sql",
    [
        "BEGIN;\nALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;",
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nCOMMIT;\n"
        "BEGIN;\nALTER TABLE users ADD COLUMN b int;\nCOMMIT;",
        "BEGIN;\nSAVEPOINT s1;\nALTER TABLE posts ADD COLUMN a int;\nROLLBACK TO SAVEPOINT s1;\n"
        "RELEASE SAVEPOINT s1;\nROLLBACK;",
        "START TRANSACTION;\nCOMMIT AND CHAIN;\nCOMMIT;",
        "BEGIN;\nPREPARE TRANSACTION 'm1';",
        "ALTER TABLE posts ADD COLUMN summary text;",
    ],
)
def test_well_formed_blocks_are_not_flagged(sql: str) -> None:
    assert _flagged(sql) == []


def test_each_script_starts_outside_a_block() -> None:
    from zdt.analysis.analyser import analyse_script, new_state

    state = new_state()
    analyse_script("BEGIN;\nALTER TABLE posts ADD COLUMN a int;", state)
    reports = analyse_script("BEGIN;\nCOMMIT;", state)  # a new session: this BEGIN is not nested
    assert [f for r in reports for f in r.findings if f.rule == RULE] == []
