"""Fixtures of the graph tests: a small target with data, a staging copy of its schema, a session harness.

Most tests rehearse on ``staging`` (a second database on the test server, same schema, no rows) because
it is fast; one test rehearses on the embedded throwaway copy, the default.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from zdt.agents.brains import OfflineBrain
from zdt.db.scratch import scratch_database
from zdt.db.urls import redact
from zdt.graph.build import build_graph
from zdt.graph.checkpoint import sqlite_saver
from zdt.graph.context import SessionContext, SessionSettings
from zdt.graph.extra import ExtraNode
from zdt.graph.runner import (
    Outcome,
    contract_decision,
    decision,
    drive,
    initial_state,
    new_session_id,
    outcome,
)
from zdt.graph.state import SessionRequest
from zdt.schema.snapshot import introspect

SCHEMA = """
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    reputation integer NOT NULL DEFAULT 0
);
"""


def create_schema(url: str, rows: int = 0, negative_reputation: bool = False) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        if rows:
            conn.execute(
                "INSERT INTO users (email, reputation) SELECT 'u' || i || '@example.org', i %% 50 "
                "FROM generate_series(1, %s) AS i",
                [rows],
            )
        if negative_reputation:
            conn.execute("UPDATE users SET reputation = -1 WHERE id = 7")


def fingerprint(url: str) -> str:
    with psycopg.connect(url) as conn:
        return introspect(conn).fingerprint()


@pytest.fixture
def target_url(database_url: str) -> str:
    create_schema(database_url, rows=300)
    return database_url


@pytest.fixture
def staging_url(admin_url: str) -> Iterator[str]:
    with scratch_database(admin_url, prefix="zdt_staging") as url:
        create_schema(url)
        yield url


@dataclass
class Harness:
    """One session driven the way the CLI drives it, with every progress event kept."""

    target_url: str
    staging_url: str | None
    tmp: Path
    extra_nodes: Sequence[ExtraNode] = ()
    events: list[tuple[str, Any]] = field(default_factory=list)
    session_id: str = field(default_factory=new_session_id)
    saver: BaseCheckpointSaver[Any] | None = None
    settings: SessionSettings = field(default_factory=SessionSettings)

    def __post_init__(self) -> None:
        saver = self.saver or sqlite_saver(self.tmp / "state.sqlite")
        self.graph = build_graph(self.extra_nodes).compile(checkpointer=saver)
        self.context = SessionContext(
            target_url=self.target_url,
            brain=OfflineBrain(),
            staging_url=self.staging_url,
            out_dir=self.tmp / "scratchpads",
            settings=self.settings,
        )

    def start(self, sql: str, queries: str | None = None, new_queries: str | None = None) -> Outcome:
        request = SessionRequest(
            sql=sql,
            queries=queries,
            new_queries=new_queries,
            target=redact(self.target_url),
            staging=redact(self.staging_url) if self.staging_url else "embedded",
        )
        state = initial_state(self.session_id, OfflineBrain().name, "offline", request)
        return self.drive(state)

    def drive(self, payload: dict[str, Any] | Command[Any] | None) -> Outcome:
        return drive(self.graph, payload, self.session_id, self.context, self._keep)

    def approve(self, by: str = "tester") -> Outcome:
        pending = self.now().pending
        assert pending is not None, "the session is not waiting for an approval"
        return self.drive(decision(True, pending["plan_hash"], by))

    def decide_contract(self, approved: bool = True, by: str = "tester", **options: Any) -> Outcome:
        """Answer the deploy gate (``old_release_gone``, ``force_reason``, ``comment`` as options)."""
        pending = self.now().pending
        assert pending is not None and self.now().at_deploy_gate, "the session is not at the deploy gate"
        return self.drive(contract_decision(approved, pending, by, **options))

    def reject(self, comment: str = "", by: str = "tester") -> Outcome:
        pending = self.now().pending
        assert pending is not None
        return self.drive(decision(False, pending["plan_hash"], by, comment))

    def now(self) -> Outcome:
        return outcome(self.graph, self.session_id)

    def progress(self, agent: str | None = None) -> list[dict[str, Any]]:
        return [
            chunk
            for mode, chunk in self.events
            if mode == "custom" and (agent is None or chunk.get("agent") == agent)
        ]

    def nodes_run(self) -> list[str]:
        return [node for mode, chunk in self.events if mode == "updates" for node in chunk]

    def _keep(self, mode: str, chunk: Any) -> None:
        self.events.append((mode, chunk))


@pytest.fixture
def harness(target_url: str, staging_url: str, tmp_path: Path) -> Harness:
    return Harness(target_url, staging_url, tmp_path)
