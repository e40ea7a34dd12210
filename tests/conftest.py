"""Test fixtures: a real PostgreSQL for every test.

The server is the embedded PostgreSQL (started once per session, stopped at the end) unless
``ZDT_TEST_DATABASE_URL`` names another one. Each test that asks for ``database_url`` gets a fresh
database that is dropped afterwards.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import psycopg
import pytest

from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to reach a host other than this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if not (host.startswith("127.") or host in ("::1", "localhost")):
                raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    """Superuser URL of the server the suite runs against."""
    configured = os.environ.get("ZDT_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with EmbeddedPostgres() as server:
        yield server.url


@pytest.fixture(scope="session")
def server_version(admin_url: str) -> int:
    """The server's major version, e.g. 15 or 18."""
    with psycopg.connect(admin_url) as conn:
        return conn.info.server_version // 10000


@pytest.fixture
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    with scratch_database(admin_url, prefix="zdt_test") as url:
        yield url


def _preloads_statements(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    return row is not None and "pg_stat_statements" in row[0]


@pytest.fixture(scope="session")
def statements_admin_url(admin_url: str) -> Iterator[str]:
    """A server with ``pg_stat_statements`` loaded: the test server when it has it, else an embedded one.

    Why a second server: ``shared_preload_libraries`` is read only at start, and the suite may not restart
    a server it was given (``ZDT_TEST_DATABASE_URL``); the embedded wheel ships the extension.
    """
    if _preloads_statements(admin_url):
        yield admin_url
        return
    with EmbeddedPostgres(preload=["pg_stat_statements"]) as server:
        yield server.url


@pytest.fixture
def statements_database_url(statements_admin_url: str) -> Iterator[str]:
    """A fresh database with the ``pg_stat_statements`` extension created in it."""
    with scratch_database(statements_admin_url, prefix="zdt_stats") as url:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        yield url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test's fresh database."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection
