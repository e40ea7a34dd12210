"""uncommitted-transaction: only the end of the script matters."""

from __future__ import annotations

import pytest

from zdt.analysis import analyse_sql

RULE = "uncommitted-transaction"


def _fired(sql: str) -> list[int]:
    return [r.index for r in analyse_sql(sql) for f in r.findings if f.rule == RULE]


@pytest.mark.parametrize(
    "sql",
    [
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;",
        "BEGIN;\nCOMMIT;\nBEGIN;\nCREATE TABLE t (id int);",
        "ALTER TABLE posts ADD COLUMN a int;\nBEGIN;",
        "START TRANSACTION;\nCOMMIT AND CHAIN;",
    ],
)
def test_script_ending_inside_a_block_is_flagged_on_its_last_statement(sql: str) -> None:
    count = sql.count(";")
    assert _fired(sql) == [count - 1]


@pytest.mark.parametrize(
    "sql",
    [
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nCOMMIT;",
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nROLLBACK;",
        "ALTER TABLE posts ADD COLUMN a int;",
        "BEGIN;\nPREPARE TRANSACTION 'm1';",
    ],
)
def test_closed_or_absent_blocks_are_quiet(sql: str) -> None:
    assert _fired(sql) == []


def test_each_file_of_a_folder_is_judged_on_its_own_end() -> None:
    from zdt.analysis.analyser import analyse_script, new_state

    state = new_state()
    first = analyse_script("BEGIN;\nCREATE TABLE t (id int);", state)
    second = analyse_script("CREATE INDEX t_id ON t (id);", state)
    assert any(f.rule == RULE for f in first[-1].findings)
    assert not any(f.rule == RULE for r in second for f in r.findings)
