"""The test server is real and each test's database is fresh."""

import psycopg

from zdt.db.scratch import scratch_database
from zdt.db.urls import redact


def test_database_is_fresh_and_writable(conn: psycopg.Connection) -> None:
    tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)
    conn.execute("CREATE TABLE t (id int)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_scratch_database_is_dropped(admin_url: str) -> None:
    with scratch_database(admin_url, prefix="zdt_probe") as url:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        with psycopg.connect(url) as c:
            assert c.execute("SELECT current_database()").fetchone() == (name,)
    with psycopg.connect(admin_url) as c:
        left = c.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert left == (0,)


def test_redact_never_shows_the_password() -> None:
    shown = redact("postgresql://app:s3cret@db.example:6543/prod")
    assert "s3cret" not in shown
    assert shown == "postgresql://app@db.example:6543/prod"
