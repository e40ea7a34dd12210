"""The lock conflict table, proven on the server: every pair of modes, taken for real with LOCK TABLE."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from zdt.analysis.locks import LockMode


def _sql_mode(mode: LockMode) -> str:
    """'ShareRowExclusiveLock' -> 'SHARE ROW EXCLUSIVE'."""
    words = []
    for char in mode.value.removesuffix("Lock"):
        if char.isupper() and words:
            words.append(" ")
        words.append(char.upper())
    return "".join(words)


def test_modes_are_ordered_weakest_first() -> None:
    assert LockMode.ACCESS_SHARE.strength == 1
    assert LockMode.ACCESS_EXCLUSIVE.strength == 8
    assert LockMode.strongest([LockMode.SHARE, LockMode.ROW_EXCLUSIVE]) is LockMode.SHARE
    assert LockMode.strongest([]) is None


def test_conflict_table_matches_the_server(conn: psycopg.Connection, database_url: str) -> None:
    conn.execute("CREATE TABLE probe (id int)")
    with psycopg.connect(database_url) as holder, psycopg.connect(database_url) as asker:
        for held in LockMode:
            holder.execute(sql.SQL("LOCK TABLE probe IN {} MODE").format(sql.SQL(_sql_mode(held))))
            for asked in LockMode:
                statement = sql.SQL("LOCK TABLE probe IN {} MODE NOWAIT").format(sql.SQL(_sql_mode(asked)))
                try:
                    asker.execute(statement)
                    waited = False
                except psycopg.errors.LockNotAvailable:
                    waited = True
                asker.rollback()
                assert held.conflicts_with(asked) is waited, f"{held} vs {asked}"
            holder.rollback()


@pytest.mark.parametrize("mode", list(LockMode))
def test_blocks_reads_and_writes_follow_the_table(mode: LockMode) -> None:
    assert mode.blocks_reads is (mode is LockMode.ACCESS_EXCLUSIVE)
    assert mode.blocks_writes is mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
