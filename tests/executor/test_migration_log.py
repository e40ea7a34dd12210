"""MIGRATION-LOG.md: every step with its SQL, duration and result; never a password."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from tests.executor.plans import add_column, create_index, increment, make_table, plan_of
from zdt.executor import apply_plan, migration_status, rollback_migration

PASSWORD = "s3cret-Pa55word"


def test_the_log_has_each_step_with_sql_duration_and_result_and_no_password(
    conn: psycopg.Connection, database_url: str, server_version: int, log_path: Path
) -> None:
    make_table(conn, "items", 1_000)
    plan = plan_of(
        [
            add_column("add-n", "public.items", "n", "integer NOT NULL DEFAULT 0"),
            create_index("index-n", "public.items", "items_n", "n"),
            increment("bump", "public.items", "n", batch_size=400),
        ],
        pg_version=server_version,
    )
    url = make_conninfo(database_url, password=PASSWORD)  # the test servers trust local connections

    assert apply_plan(plan, url, log_path=log_path).ok
    assert rollback_migration(plan, url, log_path=log_path).ok

    text = log_path.read_text()
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if re.match(r"\| \d{4}-", line)}
    assert set(rows) == {"add-n", "index-n", "bump"}  # the last entry of each step: its rollback
    applies = [line for line in text.splitlines() if " | apply | " in line]
    assert len(applies) == 3
    for line, sql in zip(
        applies,
        [
            "ALTER TABLE public.items ADD COLUMN n integer NOT NULL DEFAULT 0",
            "CREATE INDEX CONCURRENTLY items_n ON public.items (n)",
            "UPDATE public.items SET n = n + 1 WHERE id > $last AND id <= $upper",
        ],
        strict=True,
    ):
        assert f"`{sql}`" in line
        assert re.search(r"\| \d+ ms \|", line), line
        assert "verified" in line
    assert "| 1000 | verified; 1000 rows |" in text
    assert "## rollback `m1`" in text and "| rolled back |" in text
    assert PASSWORD not in text
    assert PASSWORD not in str([r.model_dump() for r in migration_status(url)])
