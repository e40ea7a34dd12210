"""Is the old release gone? Asked of a real server's pg_stat_statements and pg_stat_activity.

The observation window is the ``sleep`` the check is given: the tests run the old (or the new)
release's statements inside it, so what happens in the window is exactly what each test says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from zdt.rollout import RetiredObject, observe_old_release
from zdt.rollout.evidence import ReleaseVerdict

EMAIL = RetiredObject(schema_name="public", table="users", column="email", kind="column", step_id="s01")


@pytest.fixture
def users_url(statements_database_url: str) -> str:
    with psycopg.connect(statements_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text, email_address text)")
        conn.execute("INSERT INTO users SELECT i, 'u' || i, 'u' || i FROM generate_series(1, 10) AS i")
    return statements_database_url


def _release(url: str, query: str, times: int = 3) -> Callable[[float], None]:
    """A 'sleep' during which a release runs ``query`` ``times`` times."""

    def run(_: float) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            for key in range(1, times + 1):
                conn.execute(query, [key])

    return run


def test_the_old_release_still_running_is_named_with_its_statement(users_url: str) -> None:
    old = "SELECT id, email FROM users WHERE id = %s"
    _release(users_url, old)(0)  # it ran before the window too: only calls in the window count

    evidence = observe_old_release(users_url, [EMAIL], window_s=1, sleep=_release(users_url, old))

    assert evidence.statements_available
    assert evidence.verdict is ReleaseVerdict.IN_USE
    [use] = evidence.statements
    assert "email FROM users" in use.query and "$1" in use.query
    assert use.calls_in_window == 3 and use.calls_before == 3
    assert use.uses == ["column public.users.email"]
    assert "still running" in evidence.summary() and "ran 3 time(s)" in evidence.summary()


def test_only_the_new_release_running_means_gone(users_url: str) -> None:
    _release(users_url, "SELECT id, email FROM users WHERE id = %s")(0)  # the old one, before the window
    new = "SELECT id, email_address FROM users WHERE id = %s"

    evidence = observe_old_release(users_url, [EMAIL], window_s=1, sleep=_release(users_url, new))

    assert evidence.verdict is ReleaseVerdict.GONE, evidence.summary()
    assert evidence.statements == []
    assert "no statement using column public.users.email ran in 1 s" in evidence.summary()


@pytest.fixture
def old_release_session(users_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(users_url, autocommit=True, application_name="shop-v1") as conn:
        yield conn


def test_a_connected_session_of_the_old_release_is_named(
    users_url: str, old_release_session: psycopg.Connection
) -> None:
    evidence = observe_old_release(
        users_url, [EMAIL], application_name="shop-v1", window_s=0, sleep=lambda _: None
    )

    assert evidence.verdict is ReleaseVerdict.IN_USE
    [session] = evidence.sessions
    assert session.pid == old_release_session.info.backend_pid
    assert "shop-v1" in evidence.summary()


def test_without_pg_stat_statements_only_the_operator_can_tell(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text)")

    evidence = observe_old_release(database_url, [EMAIL], window_s=0, sleep=lambda _: None)

    assert not evidence.statements_available
    assert evidence.verdict is ReleaseVerdict.UNKNOWN
    assert "pg_stat_statements" in evidence.statements_note
    assert "--old-release-gone" in evidence.summary()
