"""wal_compression for the executor's own session: set where allowed, refused cleanly where not."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.executor.plans import make_table, plan_of, record_setting
from zdt.executor import ExecutorSettings, apply_plan
from zdt.plan.model import Verification


def compressed_run(
    conn: psycopg.Connection, url: str, version: int, log_path: Path, method: str
) -> tuple[list[tuple[str, ...]], str]:
    """Apply a backfill that records its own wal_compression with ``method`` asked for: (values, log)."""
    plan = plan_of(
        [
            record_setting(
                "wal_compression", Verification(sql="SELECT count(DISTINCT payload) = 1 FROM items")
            )
        ],
        pg_version=version,
    )
    result = apply_plan(plan, url, settings=ExecutorSettings(wal_compression=method), log_path=log_path)
    assert result.ok, result.message
    return conn.execute("SELECT DISTINCT payload FROM items").fetchall(), log_path.read_text()


@pytest.mark.parametrize(
    ("method", "taken", "said"),
    [
        ("pglz", True, "WAL compression: pglz for the full-page images"),
        ("bogus", False, "WAL compression unchanged: the server refused 'bogus'"),
    ],
)
def test_the_work_session_compresses_its_wal_or_says_why_not_and_the_application_keeps_the_servers(
    conn: psycopg.Connection,
    database_url: str,
    server_version: int,
    log_path: Path,
    method: str,
    taken: bool,
    said: str,
) -> None:
    make_table(conn, "items", 100)
    server_default = conn.execute("SHOW wal_compression").fetchone()

    recorded, log = compressed_run(conn, database_url, server_version, log_path, method)

    assert recorded == [(method,) if taken else server_default]  # an unknown method: the run goes on
    assert conn.execute("SHOW wal_compression").fetchone() == server_default
    assert said in log


@pytest.fixture
def unprivileged_url(conn: psycopg.Connection, database_url: str) -> Iterator[str]:
    """A login role that owns the test table's schema but may not set superuser-only parameters."""
    role = f"zdt_app_{secrets.token_hex(3)}"
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    conn.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(role)))
    conn.execute(
        sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), sql.Identifier(role)
        )
    )
    try:
        yield make_conninfo(database_url, user=role, password="")
    finally:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_role_that_may_not_set_it_gets_the_reason_in_the_log(
    unprivileged_url: str, server_version: int, log_path: Path
) -> None:
    with psycopg.connect(unprivileged_url, autocommit=True) as app:
        make_table(app, "items", 100)
        _, log = compressed_run(app, unprivileged_url, server_version, log_path, "pglz")
    assert "WAL compression unchanged: this role may not set wal_compression" in log
