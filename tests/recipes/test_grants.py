"""grants: GRANT runs as written in expand, REVOKE in contract, each verified for every grantee, object and
privilege, and undone by the inverse statement; role membership stays refused by the policy."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.plan.check import check_plan
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.grants import CASCADE_IRREVERSIBLE
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

OBJECTS = """
CREATE SCHEMA reports;
CREATE SEQUENCE ticket_numbers;
CREATE FUNCTION post_score(bigint) RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE touch_post(bigint) LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION post_score(bigint) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE touch_post(bigint) FROM PUBLIC;
"""


@pytest.fixture
def app_role(conn: psycopg.Connection) -> Iterator[str]:
    """A role of its own for the test (roles are the cluster's: dropped again, with its privileges)."""
    role = f"zdt_app_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    yield role
    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


GRANTS = [
    ("GRANT SELECT, INSERT ON posts TO {role}", "has_table_privilege({r}, 'posts', 'INSERT')"),
    ("GRANT UPDATE (title, body) ON posts TO {role}", "has_column_privilege({r}, 'posts', 'body', 'UPDATE')"),
    ("GRANT ALL ON TABLE posts, authors TO {role}", "has_table_privilege({r}, 'authors', 'TRUNCATE')"),
    (
        "GRANT USAGE, SELECT ON SEQUENCE ticket_numbers TO {role} WITH GRANT OPTION",
        "has_sequence_privilege({r}, 'ticket_numbers', 'USAGE WITH GRANT OPTION')",
    ),
    ("GRANT USAGE, CREATE ON SCHEMA reports TO {role}", "has_schema_privilege({r}, 'reports', 'CREATE')"),
    (
        "GRANT EXECUTE ON FUNCTION post_score(bigint) TO {role}",
        "has_function_privilege({r}, 'post_score(bigint)', 'EXECUTE')",
    ),
    (
        "GRANT EXECUTE ON PROCEDURE touch_post(bigint) TO {role}",
        "has_function_privilege({r}, 'touch_post(bigint)', 'EXECUTE')",
    ),
]


@pytest.mark.parametrize(("template", "holds"), GRANTS)
def test_a_grant_is_verified_for_each_privilege_and_undone_by_its_revoke(
    template: str, holds: str, app_role: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(OBJECTS)
    statement = template.format(role=app_role)
    held = "SELECT " + holds.format(r=f"'{app_role}'")
    plan = plan_against(database_url, statement + ";").plan
    (step,) = plan.steps
    assert (step.phase, step.recipe, step.sql) == (Phase.EXPAND, "grants", [statement])
    assert scalar(database_url, step.verify.sql) is False and scalar(database_url, held) is False

    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True and scalar(database_url, held) is True
    undo(database_url, plan, tmp_path)
    assert scalar(database_url, held) is False


def test_a_revoke_belongs_to_contract_and_is_checked_in_the_acl_itself(
    app_role: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """PUBLIC keeps SELECT, so has_table_privilege stays true for the role: the check reads the ACL."""
    create_posts(conn)
    conn.execute(f"GRANT SELECT, UPDATE ON posts TO {app_role}, PUBLIC")
    plan = plan_against(database_url, f"REVOKE SELECT, UPDATE ON posts FROM {app_role};").plan
    (step,) = plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.sql == [
        f"GRANT SELECT, UPDATE ON TABLE posts TO {app_role}"
    ]
    assert scalar(database_url, step.verify.sql) is False
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    assert scalar(database_url, f"SELECT has_table_privilege('{app_role}', 'posts', 'SELECT')") is True
    assert scalar(database_url, f"SELECT has_table_privilege('{app_role}', 'posts', 'UPDATE')") is True
    undo(database_url, plan, tmp_path)
    acl = scalar(database_url, "SELECT relacl::text FROM pg_class WHERE oid = 'posts'::regclass")
    assert f"{app_role}=rw/" in str(acl)


def test_revoking_the_grant_option_is_undone_by_granting_it_back(
    app_role: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    conn.execute(f"GRANT SELECT ON posts TO {app_role} WITH GRANT OPTION")
    plan = plan_against(database_url, f"REVOKE GRANT OPTION FOR SELECT ON posts FROM {app_role};").plan
    execute(database_url, plan, log_dir=tmp_path)
    option = f"SELECT has_table_privilege('{app_role}', 'posts', 'SELECT WITH GRANT OPTION')"
    assert scalar(database_url, option) is False
    assert scalar(database_url, f"SELECT has_table_privilege('{app_role}', 'posts', 'SELECT')") is True
    undo(database_url, plan, tmp_path)
    assert scalar(database_url, option) is True


def test_a_revoke_with_cascade_is_irreversible_in_contract(
    app_role: str, conn: psycopg.Connection, database_url: str
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    plan = plan_sql(f"REVOKE SELECT ON posts FROM {app_role} CASCADE;", snapshot=snapshot)
    (step,) = plan.steps
    assert step.phase is Phase.CONTRACT and step.rollback.irreversible == CASCADE_IRREVERSIBLE
    assert check_plan(plan, snapshot) == []  # contract steps may be irreversible


def test_grants_on_a_table_the_plan_creates_end_as_the_file_does(
    app_role: str, conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    sql_text = f"""
        CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
        GRANT SELECT, INSERT ON tags TO {app_role};
        GRANT SELECT ON posts TO {app_role};
    """
    planned = plan_against(database_url, sql_text)
    assert [step.recipe for step in planned.plan.steps] == ["pass-through", "grants", "grants"]
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, f"SELECT has_table_privilege('{app_role}', 'tags', 'INSERT')") is True


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;", "ON ALL ... IN SCHEMA reaches objects"),
        ("GRANT USAGE ON TYPE mood TO PUBLIC;", "not on types"),
        ("GRANT SELECT ON posts TO PUBLIC GRANTED BY CURRENT_USER;", "GRANTED BY"),
    ],
)
def test_grants_zdt_cannot_verify_are_refused_with_their_line(
    statement: str, reason: str, conn: psycopg.Connection
) -> None:
    create_posts(conn)
    with pytest.raises(PlanningError, match=r"^line 2: .*" + re.escape(reason)):
        plan_sql(f"GRANT SELECT ON posts TO PUBLIC;\n{statement}", snapshot=introspect(conn))


def test_granting_a_role_is_refused_by_the_policy(app_role: str, conn: psycopg.Connection) -> None:
    """GRANT role TO role is not a privilege on an object: no recipe makes it pass the gate."""
    create_posts(conn)
    snapshot = introspect(conn)
    with pytest.raises(PlanningError, match="no recipe for GrantRoleStmt"):
        plan_sql(f"GRANT pg_read_all_data TO {app_role};", snapshot=snapshot)
