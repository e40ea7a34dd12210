"""extensions: an allow-listed extension is installed in expand, verified in pg_extension and dropped again
on rollback when the plan installed it; extensions that reach outside the database are refused, saying why.

citext is in the contrib of both the embedded PostgreSQL 18 and the system PostgreSQL 15 (checked with
pg_available_extensions); the tests skip, naming it, on a server without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.extensions import NOT_NEEDED_IF_NOT_EXISTS
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

INSTALLED = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citext')"


@pytest.fixture
def citext(conn: psycopg.Connection) -> psycopg.Connection:
    available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'citext'").fetchone()
    if available is None:
        pytest.skip("extension citext is not available on this server")
    create_posts(conn)
    return conn


def test_an_extension_the_plan_installs_is_dropped_again_on_rollback(
    citext: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    sql = "CREATE EXTENSION citext;\nALTER TABLE posts ADD COLUMN email citext;"
    plan = plan_against(database_url, sql).plan
    install, _ = plan.steps
    assert (install.phase, install.recipe, install.sql) == (
        Phase.EXPAND,
        "extensions",
        ["CREATE EXTENSION citext"],
    )
    assert install.rollback.sql == ['DROP EXTENSION IF EXISTS "citext"']
    assert scalar(database_url, install.verify.sql) is False

    before = fingerprint(database_url)
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, INSTALLED) is True
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE email = 'A@B'::citext") == 0
    undo(database_url, plan, tmp_path)
    assert scalar(database_url, INSTALLED) is False
    assert fingerprint(database_url) == before


def test_if_not_exists_of_an_installed_extension_is_a_no_op_left_in_place(
    citext: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    citext.execute("CREATE EXTENSION citext")
    citext.execute("CREATE TABLE users (id bigint PRIMARY KEY, email citext)")
    plan = plan_against(database_url, "CREATE EXTENSION IF NOT EXISTS citext;").plan
    (step,) = plan.steps
    assert step.rollback.not_needed == NOT_NEEDED_IF_NOT_EXISTS
    execute(database_url, plan, log_dir=tmp_path)
    undo(database_url, plan, tmp_path)
    assert scalar(database_url, INSTALLED) is True  # the database's own extension, still in use, stays


def test_the_plan_ends_as_the_file_does(
    citext: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    sql = "CREATE EXTENSION IF NOT EXISTS citext;\nCREATE TABLE users (id bigint PRIMARY KEY, email citext);"
    planned = plan_against(database_url, sql)
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("CREATE EXTENSION dblink;", "zdt does not install extension dblink: it connects to other servers"),
        ("CREATE EXTENSION IF NOT EXISTS postgres_fdw;", "a foreign-data wrapper reaches other servers"),
        ("CREATE EXTENSION file_fdw;", "file_fdw: it reads the server's files"),
        ("CREATE EXTENSION adminpack;", "adminpack: it reads and writes the server's files"),
        ("CREATE EXTENSION lo;", "lo: it manages large objects"),
        ("CREATE EXTENSION pageinspect;", "pageinspect: it reads raw pages"),
        ("CREATE EXTENSION plpython3u;", "an untrusted language runs code"),
        ("CREATE EXTENSION vector;", "extension vector is not on zdt's allow-list"),
        ("CREATE EXTENSION earthdistance CASCADE;", "CASCADE installs the extensions it requires too"),
    ],
)
def test_extensions_off_the_allow_list_are_refused_with_their_reason(
    statement: str, reason: str, conn: psycopg.Connection
) -> None:
    with pytest.raises(PlanningError, match=r"^line 2: .*" + re.escape(reason)):
        plan_sql(f"CREATE TABLE t (id bigint);\n{statement}", snapshot=introspect(conn))
